"""Writes of the incident register (docs/privacy.md): recording an incident tells every data
protection officer at once; each move is decided on the incident as locked, inside the
transaction that changes it, with its transition row and its audit event."""

from datetime import datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from agencies.access import scope_for
from agencies.validators import nfc
from portal.audit import audit_record
from portal.errors import DomainError
from portal.notifications import notify
from portal.texts import text
from privacy import lifecycle
from privacy.choices import DataCategory, IncidentStatus
from privacy.models import NOTIFY_WITHIN, Incident, IncidentTransition
from privacy.permissions import may_use_privacy
from privacy.querysets import officers

NOTIFICATION_KIND = "privacy_incident"
# How long before the 72-hour deadline the data protection officers are reminded.
REMIND_BEFORE = timedelta(hours=24)


def _require_user(by) -> None:
    if not may_use_privacy(by):
        raise DomainError(
            _("Chỉ cán bộ bảo vệ dữ liệu cá nhân hoặc quản trị hệ thống được thao tác."),
            code="forbidden",
        )


def incident_record(
    *,
    by,
    title: str,
    detected_at: datetime,
    categories: list[str],
    subjects_count: int,
    description: str,
    measures: str,
    contact: str,
    consequences: str = "",
    occurred_at: datetime | None = None,
) -> Incident:
    """Record an incident; its 72-hour clock runs from `detected_at`. Every data protection
    officer is told (in the app and by e-mail) once the record is committed."""
    _require_user(by)
    now = timezone.now()
    if detected_at > now:
        raise DomainError(_("Thời điểm phát hiện không thể ở tương lai."), code="future")
    if occurred_at is not None and occurred_at > detected_at:
        raise DomainError(
            _("Thời điểm xảy ra phải trước thời điểm phát hiện."), code="occurred_after"
        )
    known = set(DataCategory.values)
    if not categories or not set(categories) <= known:
        raise DomainError(_("Hãy chọn loại dữ liệu cá nhân bị ảnh hưởng."), code="categories")
    with transaction.atomic():
        incident = Incident.objects.create(
            title=nfc(title),
            detected_at=detected_at,
            occurred_at=occurred_at,
            categories=[c for c in DataCategory.values if c in categories],
            subjects_count=subjects_count,
            description=nfc(description),
            consequences=nfc(consequences),
            measures=nfc(measures),
            contact=nfc(contact),
            recorded_by=by,
        )
        audit_record(
            actor=by,
            action="privacy_incident.record",
            obj=incident,
            after={
                "status": incident.status,
                "detected_at": incident.detected_at.isoformat(),
                "categories": incident.categories,
                "subjects_count": subjects_count,
            },
        )
        deadline = timezone.localtime(incident.notify_by)
        notify(
            users=officers(),
            message=text(
                gettext_noop(
                    "Sự cố dữ liệu cá nhân “%(title)s” vừa được ghi nhận: phải thông báo Cục A05 "
                    "trước %(deadline)s."
                ),
                title=incident.title,
                deadline=deadline.strftime("%H:%M %d/%m/%Y"),
            ),
            url=reverse("privacy:incident_detail", args=[incident.pk]),
            subject=f"privacy_incident:{incident.pk}",
            kind=NOTIFICATION_KIND,
            key=f"privacy_incident:{incident.pk}:recorded",
        )
    return incident


def _transition(incident: Incident, action: str, *, by, note: str = "", **fields) -> Incident:
    """Move `incident` along the lifecycle table, decided on the locked row."""
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        move = lifecycle.MOVES[action]
        if not lifecycle.MOVES.can(action, locked.status):
            raise DomainError(
                _("Sự cố đang ở trạng thái “%(status)s”, không thể thực hiện thao tác này.")
                % {"status": locked.get_status_display()},
                code="stale_status",
            )
        scope = scope_for(by)
        if not any(scope.has_role(role) for role in move.roles_from(locked.status)):
            raise DomainError(_("Bạn không có quyền thực hiện thao tác này."), code="forbidden")
        before = locked.status
        locked.status = move.target
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=["status", *fields])
        IncidentTransition.objects.create(
            incident=locked, from_status=before, to_status=locked.status, action=action,
            by=by, note=note,
        )  # fmt: skip
        audit_record(
            actor=by,
            action=f"privacy_incident.{action}",
            obj=locked,
            before={"status": before},
            after={"status": locked.status, **{k: str(v) for k, v in fields.items()}},
            reason=note,
        )
    return locked


def incident_mark_notified(
    *, incident: Incident, by, notified_at: datetime, reference: str
) -> Incident:
    """The authority (A05) has been told: when, and by which letter or channel."""
    if notified_at > timezone.now():
        raise DomainError(_("Thời điểm thông báo không thể ở tương lai."), code="future")
    if notified_at < incident.detected_at:
        raise DomainError(
            _("Thời điểm thông báo phải sau thời điểm phát hiện."), code="before_detected"
        )
    return _transition(
        incident, "notify", by=by, note=nfc(reference),
        notified_at=notified_at, notice_reference=nfc(reference),
    )  # fmt: skip


def incident_close(*, incident: Incident, by, note: str) -> Incident:
    if not note.strip():
        raise DomainError(_("Hãy ghi kết quả xử lý sự cố."), code="note_required")
    return _transition(incident, "close", by=by, note=nfc(note), closed_at=timezone.now())


def incident_deadlines_remind(*, now: datetime | None = None) -> int:
    """Remind every data protection officer of each incident not yet notified whose deadline
    is less than REMIND_BEFORE away, and tell them again once it is overdue. Keyed per
    incident and step, so a repeated or concurrent sweep tells nobody twice. Returns the
    number of notifications sent."""
    now = now or timezone.now()
    users = list(officers())
    if not users:
        return 0
    sent = 0
    waiting = Incident.objects.filter(
        status=IncidentStatus.RECORDED, detected_at__lte=now + REMIND_BEFORE - NOTIFY_WITHIN
    ).order_by("detected_at")
    for incident in waiting:
        overdue = incident.notify_by <= now
        deadline = timezone.localtime(incident.notify_by).strftime("%H:%M %d/%m/%Y")
        if overdue:
            message = gettext_noop(
                "Sự cố dữ liệu cá nhân “%(title)s” đã quá hạn 72 giờ (%(deadline)s) mà chưa "
                "ghi nhận thông báo Cục A05."
            )
        else:
            message = gettext_noop(
                "Sự cố dữ liệu cá nhân “%(title)s”: còn dưới 24 giờ để thông báo Cục A05 "
                "(hạn %(deadline)s)."
            )
        sent += notify(
            users=users,
            message=text(message, title=incident.title, deadline=deadline),
            url=reverse("privacy:incident_detail", args=[incident.pk]),
            subject=f"privacy_incident:{incident.pk}",
            kind=NOTIFICATION_KIND,
            key=f"privacy_incident:{incident.pk}:{'overdue' if overdue else 'due_soon'}",
        )
    return sent
