"""Writes of the data subjects' correction requests (docs/privacy.md, "The data subject's
rights"): a person asks to correct one field of their record; the clerks of their agency are
told; a clerk corrects the record, or (the field on a valid certificate) corrects it and
drafts a Mẫu 04 change of information (`requests_app.services.corrections`), or rejects the
request with a reason; the person is told the outcome.

Each move is decided on the request as locked (`correction_acting`), along the lifecycle
table (`privacy.lifecycle.CORRECTION_MOVES`), with its transition row and its audit event.
The new value is never written to the audit trail or a notification: the field's name only.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from agencies.access import scope_for
from agencies.choices import Role
from agencies.models import Person
from agencies.querysets import find_unit
from agencies.services import person_correct
from agencies.validators import nfc
from portal.audit import audit_record
from portal.errors import DomainError
from portal.notifications import notify
from portal.texts import text
from privacy.choices import DATE_FIELDS, CorrectableField, CorrectionStatus
from privacy.lifecycle import CORRECTION_MOVES
from privacy.models import CorrectionRequest, CorrectionTransition

NOTIFICATION_KIND = "privacy_correction"
REASON_MAX = 1000
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")


def _invalid(message: str, code: str = "invalid") -> DomainError:
    return DomainError(message, code=code)


def _parse_date(text: str) -> date:
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise _invalid(_("Nhập ngày dạng ngày/tháng/năm, ví dụ 05/03/1990."), "date")


def correction_value_clean(*, person: Person, field: str, raw: str) -> str:
    """The new value as the record would keep it (canonical text: an ISO date, a lower-case
    e-mail, the unit's name as the tree has it), checked by the field's own rules; a
    DomainError in Vietnamese otherwise. Refused too when it is what the record holds."""
    if field not in CorrectableField.values:
        raise _invalid(_("Hãy chọn thông tin cần đính chính."), "field")
    text = nfc(raw or "")
    if not text:
        raise _invalid(_("Hãy nhập thông tin đúng."), "value_required")
    if field in DATE_FIELDS:
        value = _parse_date(text)
        try:
            Person._meta.get_field(field).run_validators(value)
        except ValidationError as exc:
            raise _invalid(" ".join(exc.messages)) from exc
        canonical = value.isoformat()
        current = getattr(person, field)
        current = current.isoformat() if current else ""
    elif field == CorrectableField.UNIT:
        agency = person.organization.managing_agency or person.organization
        unit = find_unit(agency, text)
        if unit is None:
            raise _invalid(
                _("Không có đơn vị “%(name)s” trong %(agency)s.")
                % {"name": text, "agency": agency},
                "unit",
            )
        canonical, current = unit.name, person.organization.name
    else:
        if field == CorrectableField.OFFICIAL_EMAIL:
            text = text.lower()
        try:
            Person._meta.get_field(field).clean(text, person)
        except ValidationError as exc:
            raise _invalid(" ".join(exc.messages)) from exc
        if (
            field == CorrectableField.NATIONAL_ID
            and Person.objects.with_national_id(text).exclude(pk=person.pk).exists()
        ):
            raise _invalid(_("Số định danh cá nhân này đã có trong hệ thống."), "taken")
        canonical, current = text, getattr(person, field) or ""
    if canonical == current:
        raise _invalid(_("Thông tin đúng trùng với thông tin đang có trong hồ sơ."), "unchanged")
    return canonical


def agency_clerks(person: Person):
    """The active clerks of the agency the person works for: those holding the clerk's role
    for the person's organisation or any organisation above it."""
    ids = [int(part) for part in person.organization.path.strip("/").split("/") if part]
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__role=Role.AGENCY_CLERK,
            memberships__organization_id__in=ids,
        )
        .distinct()
    )


def correction_request_submit(
    *, person: Person, by, field: str, value: str, reason: str
) -> CorrectionRequest:
    """The person behind `by` asks to correct `field` of their own record to `value`. One
    open request per person and field (a constraint); the agency's clerks are told."""
    if by is None or person.user_id != by.pk:
        raise DomainError(
            _("Bạn chỉ có thể yêu cầu đính chính dữ liệu của chính mình."), code="forbidden"
        )
    if person.deidentified_at is not None:
        raise DomainError(
            _("Hồ sơ này đã được ẩn danh hoá theo thời hạn lưu trữ, không đính chính được."),
            code="minimised",
        )
    canonical = correction_value_clean(person=person, field=field, raw=value)
    reason = nfc(reason or "")
    if not reason:
        raise _invalid(
            _("Hãy nêu lý do, căn cứ đính chính (ví dụ: thông tin trên căn cước)."), "reason"
        )
    if len(reason) > REASON_MAX:
        raise _invalid(_("Lý do dài quá %(n)d ký tự.") % {"n": REASON_MAX}, "reason")
    with transaction.atomic():
        try:
            with transaction.atomic():
                correction = CorrectionRequest.objects.create(
                    person=person, field=field, new_value=canonical, reason=reason, submitted_by=by
                )
        except IntegrityError as exc:
            raise DomainError(
                _("Bạn đã có một yêu cầu đính chính thông tin này đang chờ xử lý."),
                code="already_open",
            ) from exc
        audit_record(
            actor=by,
            action="privacy_correction.submit",
            obj=correction,
            after={"status": correction.status, "field": field, "person": person.pk},
        )
        notify(
            users=agency_clerks(person),
            message=text(
                gettext_noop("%(person)s yêu cầu đính chính “%(field)s” trong hồ sơ của mình."),
                person=person.full_name,
                field=CorrectableField(correction.field).label,
            ),
            url=reverse("corrections:detail", args=[correction.pk]),
            subject=f"privacy_correction:{correction.pk}",
            kind=NOTIFICATION_KIND,
            key=f"privacy_correction:{correction.pk}:submitted",
        )
    return correction


@dataclass
class Acting:
    """A move under way: the locked request, and what the move's effect tells its record."""

    correction: CorrectionRequest
    note: str = ""
    after: dict = field(default_factory=dict)


def _refusal(locked: CorrectionRequest, action: str) -> DomainError | None:
    move = CORRECTION_MOVES[action]
    if not CORRECTION_MOVES.can(action, locked.status):
        return DomainError(
            _("Yêu cầu đã được xử lý (%(status)s), không thể thực hiện thao tác này.")
            % {"status": locked.get_status_display()},
            code="stale_status",
        )
    if move.passes(locked):
        return None
    if action == "correct":
        return DomainError(
            _(
                "Thông tin này có trên chứng thư số còn hiệu lực của người yêu cầu: hãy đính "
                "chính và lập văn bản thay đổi thông tin (Mẫu 04)."
            ),
            code="on_certificate",
        )
    return DomainError(
        _("Thông tin này không có trên chứng thư số còn hiệu lực: hãy đính chính hồ sơ trực tiếp."),
        code="not_on_certificate",
    )


@contextmanager
def correction_acting(correction: CorrectionRequest, action: str, *, by) -> Iterator[Acting]:
    """Lock the request, decide the move on the locked row (state, the clerk's role for the
    person's organisation, the move's guard), let the caller's effect run, then move it:
    status, transition row, audit event, and the person told the outcome. All in one
    transaction: an effect that fails leaves the request as it was."""
    with transaction.atomic():
        locked = (
            CorrectionRequest.objects.select_for_update(of=("self",))
            .select_related("person__organization", "person__user")
            .get(pk=correction.pk)
        )
        move = CORRECTION_MOVES[action]
        # The role from any state the move starts from: a clerk of the agency who finds the
        # request already handled is told so, not refused.
        roles = {role for state in move.states for role in move.roles_from(state)}
        if not any(scope_for(by).holds(role, locked.person.organization.path) for role in roles):
            raise DomainError(
                _("Bạn không phải cán bộ đầu mối của cơ quan người yêu cầu."), code="forbidden"
            )
        refusal = _refusal(locked, action)
        if refusal is not None:
            raise refusal
        acting = Acting(locked)
        yield acting
        before = locked.status
        locked.status = move.target
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.decision_note = acting.note
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        CorrectionTransition.objects.create(
            correction=locked, from_status=before, to_status=locked.status, action=action,
            by=by, note=acting.note,
        )  # fmt: skip
        audit_record(
            actor=by,
            action=f"privacy_correction.{action}",
            obj=locked,
            before={"status": before},
            after={"status": locked.status, "field": locked.field, **acting.after},
            reason=acting.note if action == "reject" else "",
        )
        _tell_outcome(locked)


def _tell_outcome(correction: CorrectionRequest) -> None:
    person = correction.person
    if person.user_id is None:
        return
    if correction.status == CorrectionStatus.REJECTED:
        message = gettext_noop("Yêu cầu đính chính “%(field)s” của bạn bị từ chối: %(reason)s")
    elif correction.status == CorrectionStatus.LETTER_DRAFTED:
        message = gettext_noop(
            "Hồ sơ của bạn đã được đính chính “%(field)s”; cơ quan đã lập văn bản đề nghị thay "
            "đổi thông tin trên chứng thư số."
        )
    else:
        message = gettext_noop("Hồ sơ của bạn đã được đính chính “%(field)s”.")
    notify(
        users=[person.user],
        message=text(
            message, field=CorrectableField(correction.field).label, reason=correction.decision_note
        ),
        url=reverse("subject:data"),
        subject=f"privacy_correction:{correction.pk}",
        kind=NOTIFICATION_KIND,
        key=f"privacy_correction:{correction.pk}:{correction.status}",
    )


def correction_target(correction: CorrectionRequest):
    """The Python value the record takes: a date, an organisation (the unit, found again by
    name in the person's agency), or the text."""
    if correction.field in DATE_FIELDS:
        return date.fromisoformat(correction.new_value)
    if correction.field == CorrectableField.UNIT:
        person = correction.person
        agency = person.organization.managing_agency or person.organization
        unit = find_unit(agency, correction.new_value)
        if unit is None:
            raise _invalid(
                _("Không còn đơn vị “%(name)s” trong %(agency)s.")
                % {"name": correction.new_value, "agency": agency},
                "unit",
            )
        return unit
    return correction.new_value


def correction_apply(acting: Acting, *, by) -> None:
    """The record corrected, inside a move (`correction_acting`)."""
    correction = acting.correction
    person_correct(
        person=correction.person,
        field=correction.field,
        value=correction_target(correction),
        by=by,
        reason=f"privacy_correction:{correction.pk}",
    )


def correction_request_correct(
    *, correction: CorrectionRequest, by, note: str = ""
) -> CorrectionRequest:
    """A clerk corrects the person's record as asked (the field shows on no valid
    certificate)."""
    with correction_acting(correction, "correct", by=by) as acting:
        correction_apply(acting, by=by)
        acting.note = nfc(note or "")
    return acting.correction


def correction_request_reject(
    *, correction: CorrectionRequest, by, reason: str
) -> CorrectionRequest:
    """A clerk rejects the request; the reason is required and told to the person."""
    reason = nfc(reason or "")
    if not reason:
        raise _invalid(_("Hãy nêu lý do từ chối."), "reason")
    if len(reason) > REASON_MAX:
        raise _invalid(_("Lý do dài quá %(n)d ký tự.") % {"n": REASON_MAX}, "reason")
    with correction_acting(correction, "reject", by=by) as acting:
        acting.note = reason
    return acting.correction
