"""The access log of personal data (Law 91/2025/QH15; docs/privacy.md §access log): who saw
whose data in full, when, how and why.

Lists and exports show personal data masked; whatever shows it in full (a value revealed on a
page with a reason, an export or a document with full values, an API read of full values, a
subject reading their own data) records one `Access` with its subjects through
`personal_data_access_record`, inside the transaction of the request that shows it. The access
is tamper-evident with the audit trail: its audit event (action `personal_data.accessed`)
carries the channel, the fields, the count and a digest of the subjects, and `access_verify`
checks every access against its event and every event against its access; beat runs that
check every night and tells the data protection officers what it finds (`access_log_check`).
"""

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from agencies.validators import nfc
from portal.audit import audit_record
from portal.errors import DomainError
from portal.lib.safetext import safe_text
from portal.models import AuditEvent
from portal.notifications import notify
from portal.texts import data_of, default_text, text
from privacy.choices import AccessChannel
from privacy.inventory import FIELDS
from privacy.models import Access, AccessSubject
from privacy.querysets import officers

ACTION = "personal_data.accessed"
CHECK_KIND = "privacy_access_check"
REASON_MAX = 500
# Channels where the person showing the data chose to: they must say why.
REASON_REQUIRED = {AccessChannel.REVEAL, AccessChannel.EXPORT}
_DECLARED = {field.key for field in FIELDS}
_BATCH = 5000


@dataclass(frozen=True)
class Subject:
    """Whose data was shown: their person record's id when the record names one, and the blind
    index of their ID number when it is known."""

    person_id: int | None = None
    id_index: str = ""

    @classmethod
    def of(cls, obj) -> "Subject":
        """The subject a record is about: a `Person`, or a record holding `person_id` and/or
        `national_id_index` (a letter's row)."""
        if obj._meta.label == "agencies.Person":
            return cls(obj.pk, obj.national_id_index or "")
        return cls(getattr(obj, "person_id", None), getattr(obj, "national_id_index", "") or "")

    def line(self) -> str:
        return f"{self.person_id or ''}:{self.id_index}"


def subjects_digest(subjects: Iterable[Subject]) -> str:
    """The sha256 of the sorted subjects, one line each: what the audit event vouches for."""
    lines = sorted(subject.line() for subject in subjects)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def personal_data_access_record(
    *,
    by,
    channel: str,
    subjects: Iterable[Subject],
    fields: Sequence[str],
    reason: str = "",
    obj=None,
) -> Access:
    """Record that `by` saw `fields` (the inventory's keys) of `subjects` in full through
    `channel`, about `obj` (the letter, person or device shown). Call it in the transaction of
    the request that shows the data: if recording fails, nothing is shown.

    A reveal or an export needs a reason (DomainError `reason_required` otherwise)."""
    if channel not in AccessChannel.values:
        raise ValueError(f"unknown access channel {channel!r}")
    undeclared = sorted(set(fields) - _DECLARED)
    if not fields or undeclared:
        raise ValueError(f"fields not declared in privacy/inventory.py: {undeclared or fields}")
    reason_data = data_of(reason)  # the portal's own reason, as data (portal/texts.py)
    reason = nfc(default_text(reason or "")).strip()
    if channel in REASON_REQUIRED and not reason:
        raise DomainError(
            _("Hãy nêu lý do cần xem dữ liệu cá nhân đầy đủ."), code="reason_required"
        )
    if len(reason) > REASON_MAX:
        raise DomainError(
            _("Lý do dài quá %(max)d ký tự.") % {"max": REASON_MAX}, code="reason_too_long"
        )
    # a record that names nobody (no person, no ID number) is no subject anyone could find
    unique = sorted({s for s in subjects if s.person_id or s.id_index}, key=Subject.line)
    fields = sorted(set(fields))
    with transaction.atomic():
        event = audit_record(
            actor=by,
            action=ACTION,
            obj=obj,
            after={
                "channel": channel,
                "fields": fields,
                "subjects": len(unique),
                "subjects_sha256": subjects_digest(unique),
                **({"reason_data": reason_data} if reason_data else {}),
            },
            reason=reason,
        )
        access = Access.objects.create(
            at=event.occurred_at,
            actor_id=event.actor_id,
            actor_label=event.actor_label,
            channel=channel,
            fields=fields,
            reason=safe_text(reason),
            reason_data=reason_data,
            object_type=event.object_type,
            object_id=event.object_id,
            object_repr=event.object_repr,
            subjects_count=len(unique),
            event=event,
        )
        AccessSubject.objects.bulk_create(
            (
                AccessSubject(access=access, person_id=s.person_id, id_index=s.id_index)
                for s in unique
            ),
            batch_size=_BATCH,
        )
    return access


@dataclass(frozen=True)
class AccessProblem:
    access_id: int | None
    event_seq: int | None
    message: str

    def line(self) -> str:
        """`access 12 (audit seq 34): reason differs`, as `manage.py access_verify` prints it."""
        access = f"access {self.access_id}" if self.access_id is not None else ""
        event = f"audit seq {self.event_seq}" if self.event_seq is not None else ""
        place = f"{access} ({event})" if access and event else access or event
        return f"{place}: {self.message}"


def access_verify() -> list[AccessProblem]:
    """Every access agrees with its audit event (time, actor, channel, fields, reason, object
    and the subjects' digest), and every `personal_data.accessed` event has its access. The
    events themselves are vouched for by `portal.audit.audit_verify`."""
    events = AuditEvent.objects.filter(action=ACTION)
    problems = [
        AccessProblem(None, seq, "event without its access row")
        for seq in events.exclude(pk__in=Access.objects.values("event_id"))
        .order_by("seq")
        .values_list("seq", flat=True)
    ]
    problems += [
        AccessProblem(pk, None, "access without its audit event")
        for pk in Access.objects.exclude(event_id__in=events.values("pk")).values_list(
            "pk", flat=True
        )
    ]
    joined = (
        Access.objects.select_related("event")
        .filter(event__action=ACTION)
        .prefetch_related("subjects")
        .order_by("event__seq")
    )
    for access in joined.iterator(chunk_size=_BATCH):
        problems += [
            AccessProblem(access.pk, access.event.seq, f"{name} differs")
            for name in _differences(access, access.event)
        ]
    return problems


def _differences(access: Access, event: AuditEvent) -> list[str]:
    stored = [Subject(s.person_id, s.id_index) for s in access.subjects.all()]
    after = event.after or {}
    pairs = {
        "at": (access.at, event.occurred_at),
        "actor": (access.actor_id, event.actor_id),
        "channel": (access.channel, after.get("channel")),
        "fields": (access.fields, after.get("fields")),
        "reason": (access.reason, event.reason),
        "reason_data": (access.reason_data or {}, after.get("reason_data", {})),
        "object": ((access.object_type, access.object_id), (event.object_type, event.object_id)),
        "subjects": ((access.subjects_count, len(stored)), (after.get("subjects"),) * 2),
        "digest": (subjects_digest(stored), after.get("subjects_sha256")),
    }
    return [name for name, (found, expected) in pairs.items() if found != expected]


def access_log_check(*, today=None) -> list[AccessProblem]:
    """Beat's nightly check of the log against the audit trail: every data protection officer
    is told of the problems found, once a day for one set of problems (the notification's key
    holds the day and a digest of the set, so a repeated run tells nobody twice and a new
    problem the same day is told). Returns the problems."""
    problems = access_verify()
    if not problems:
        return problems
    day = today or timezone.localdate()
    lines = [problem.line() for problem in problems]
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]
    notify(
        users=officers(),
        message=text(
            gettext_noop(
                "Kiểm tra nhật ký truy cập dữ liệu cá nhân ngày %(day)s: %(count)d chỗ không khớp "
                "với nhật ký kiểm toán (có thể đã bị sửa hoặc xóa ngoài Cổng). Quản trị hệ thống "
                "chạy manage.py access_verify để xem từng chỗ. Đầu tiên: %(first)s"
            ),
            day=day.strftime("%d/%m/%Y"),
            count=len(problems),
            first=lines[0],
        ),
        url=reverse("privacy:accesses"),
        subject="privacy_access_log",
        kind=CHECK_KIND,
        key=f"{CHECK_KIND}:{day.isoformat()}:{digest}",
    )
    return problems
