"""An agency's registration: started with its table prefilled from the certificates it holds,
saved by its clerks and heads, submitted to the head, sent back, signed and sent (docs/domain.md
§11). The lifecycle: draft → awaiting_head (submit) → draft (send back, with a reason);
draft or awaiting_head → sent (the head signs at their own desk: their signature, then the
agency's seal, demand/services/desk.py). Each move is decided on the locked row."""

from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from agencies.choices import Role
from agencies.documents import place_name
from agencies.validators import nfc
from certificates.desk.models import DeskSigning
from certificates.desk.rounds import desk_round_complete, desk_round_prepare
from certificates.desk.services import DeskAnswer
from certificates.signing import SEAL_FIELD, anchor_position
from demand import documents, figures, lifecycle, permissions
from demand.audience import staff_of, table_url
from demand.choices import MAX_QUANTITY, Category
from demand.models import Campaign, DemandDocument, Registration, RegistrationItem
from demand.services.deadlines import deadlines_met
from demand.services.desk import DemandRound, audit_refusal, record_signed
from demand.targets import asked
from devices.notify import ca_operators, province_officers
from portal.audit import audit_record
from portal.documents import DocumentKind
from portal.errors import DomainError
from portal.notifications import notify
from portal.texts import text

NOTE_MAX = 255


def _require_open(campaign: Campaign) -> None:
    if campaign.closed_at is not None:
        raise DomainError(_("Đợt đăng ký này đã kết thúc."), code="closed")


def _lock(registration) -> Registration:
    """The registration and its campaign, locked: a campaign closing at the same moment
    waits, or is seen closed."""
    return (
        Registration.objects.select_for_update(of=("self", "campaign"))
        .select_related("campaign", "agency")
        .get(pk=registration.pk)
    )


def _require_move(locked: Registration, action: str) -> None:
    if not lifecycle.MOVES.can(action, locked.status):
        raise DomainError(
            _("Bản đăng ký đang ở trạng thái “%(status)s”, không thể thực hiện thao tác này.")
            % {"status": locked.get_status_display()},
            code="stale_status",
        )


def _move(
    locked: Registration, action: str, *, by, reason: str = "", fields=(), noted=None
) -> None:
    """Take `action` on the locked registration: its new status (and `fields`, already set
    on it, saved with it) and the audit event, with `noted` added to its "after"."""
    before = locked.status
    locked.status = lifecycle.MOVES.target(action)
    locked.save(update_fields=["status", *fields, "updated_at"])
    audit_record(
        actor=by,
        action=f"demand_registration.{action}",
        obj=locked,
        before={"status": before},
        after={"status": locked.status, **(noted or {})},
        reason=reason,
    )


def _write_items(registration: Registration, table: figures.Table) -> None:
    RegistrationItem.objects.filter(registration=registration).delete()
    RegistrationItem.objects.bulk_create(
        RegistrationItem(registration=registration, category=category, year=year, quantity=n)
        for category, per_year in table.items()
        for year, n in per_year.items()
    )


def registration_start(*, campaign: Campaign, agency, by) -> Registration:
    """The agency's registration of `campaign`, created on first use with its table
    prefilled: each year, the certificates the agency holds that expire that year."""
    permissions.require(permissions.may_fill(by, agency))
    existing = Registration.objects.filter(campaign=campaign, agency=agency).first()
    if existing is not None:
        return existing
    _require_open(campaign)
    if not asked(campaign).filter(pk=agency.pk).exists():
        raise DomainError(_("Đợt đăng ký này không đề nghị cơ quan của bạn."), code="not_asked")
    table, notes = figures.prefill(agency, campaign.years)
    try:
        with transaction.atomic():
            registration = Registration.objects.create(
                campaign=campaign, agency=agency, notes=notes, created_by=by
            )
            _write_items(registration, table)
            audit_record(
                actor=by,
                action="demand_registration.start",
                obj=registration,
                after={"campaign": campaign.pk, "prefilled": figures.to_json(table)},
            )
    except IntegrityError:  # a colleague started it at the same moment
        return Registration.objects.get(campaign=campaign, agency=agency)
    return registration


def clean_table(data: dict, years) -> tuple[figures.Table, dict[str, str]]:
    """Numbers and notes as typed, checked: whole numbers from 0, notes of at most 255
    characters, NFC. Raises `DomainError` naming the first wrong cell."""
    table = figures.empty_table(years)
    notes: dict[str, str] = {}
    for category in Category:
        for year in years:
            value = data.get(category.value, {}).get(year, 0)
            if not isinstance(value, int) or not 0 <= value <= MAX_QUANTITY:
                raise DomainError(
                    _("Số lượng “%(line)s” năm %(year)s phải là số nguyên từ 0 đến %(max)s.")
                    % {"line": category.label, "year": year, "max": f"{MAX_QUANTITY:,}"},
                    code="bad_quantity",
                )
            table[category.value][year] = value
        note = nfc(str(data.get("notes", {}).get(category.value, "")).strip())
        if len(note) > NOTE_MAX:
            raise DomainError(
                _("Ghi chú “%(line)s” dài quá %(n)s ký tự.")
                % {"line": category.label, "n": NOTE_MAX},
                code="bad_note",
            )
        notes[category.value] = note
    return table, notes


def registration_save(
    *, registration: Registration, table: dict, notes: dict, by, revision: int
) -> Registration:
    """Save the table as typed (`table[category][year]`, `notes[category]`) over the
    `revision` the user saw: of two people saving at once, the second is told, not lost."""
    permissions.require(permissions.may_fill(by, registration.agency))
    cleaned, cleaned_notes = clean_table({**table, "notes": notes}, registration.campaign.years)
    with transaction.atomic():
        locked = _lock(registration)
        _require_open(locked.campaign)
        _require_move(locked, "save")
        if locked.revision != revision:
            raise _changed()
        before = figures.to_json(figures.totals([locked.pk], locked.campaign.years))
        _write_items(locked, cleaned)
        locked.notes = cleaned_notes
        locked.revision += 1
        locked.save(update_fields=["notes", "revision", "updated_at"])
        audit_record(
            actor=by,
            action="demand_registration.save",
            obj=locked,
            before={"table": before},
            after={"table": figures.to_json(cleaned), "notes": cleaned_notes},
        )
    return locked


def _tell(agency, roles, message: str, registration: Registration) -> None:
    notify(
        users=staff_of([agency], roles),
        message=message,
        url=table_url(registration.campaign_id, agency.pk),
        subject=f"demand_registration:{registration.pk}",
        kind="demand",
    )


def registration_submit(*, registration: Registration, by) -> Registration:
    """The clerk hands the table to the head for signing."""
    permissions.require(permissions.may_fill(by, registration.agency))
    with transaction.atomic():
        locked = _lock(registration)
        _require_open(locked.campaign)
        _require_move(locked, "submit")
        _move(locked, "submit", by=by)
        _tell(
            locked.agency,
            [Role.AGENCY_HEAD],
            text(
                gettext_noop(
                    "Bản đăng ký nhu cầu chứng thư số giai đoạn %(period)s chờ lãnh đạo ký."
                ),
                period=locked.campaign.period,
            ),
            locked,
        )
    return locked


def registration_send_back(*, registration: Registration, by, reason: str) -> Registration:
    """The head returns the table to the clerks, saying why."""
    permissions.require(permissions.may_sign(by, registration.agency))
    reason = nfc((reason or "").strip())
    if not reason:
        raise DomainError(_("Hãy ghi lý do trả lại."), code="reason_required")
    with transaction.atomic():
        locked = _lock(registration)
        _require_move(locked, "send_back")
        _move(locked, "send_back", by=by, reason=reason)
        _tell(
            locked.agency,
            [Role.AGENCY_CLERK],
            text(gettext_noop("Lãnh đạo trả lại bản đăng ký nhu cầu: %(reason)s"), reason=reason),
            locked,
        )
    return locked


def _purpose(registration_id: int, revision: int, field_name: str) -> str:
    # The revision names the table as signed: a table changed since is signed afresh.
    return f"demand:registration:{registration_id}:{revision}:{field_name}"


def _signable(registration: Registration, by, revision: int | None = None) -> Registration:
    """The registration locked and still signable by `by` (the right to sign it: the
    agency's head, the registration not sent, the campaign open and, when `revision` is given,
    the table unchanged since it was shown). Call inside a transaction."""
    permissions.require(permissions.may_sign(by, registration.agency))
    locked = _lock(registration)
    _require_open(locked.campaign)
    _require_move(locked, "sign")
    if revision is not None and locked.revision != revision:
        raise _changed()
    locked.number = locked.number or f"{locked.pk}/ĐKNC"
    return locked


def _refused(registration: Registration, *, by, desk_signing_id, error: DomainError) -> None:
    audit_refusal(
        registration,
        action="demand_registration.desk_refused",
        by=by,
        desk_signing_id=desk_signing_id,
        error=error,
    )


def registration_desk_prepare(*, registration: Registration, by, revision: int) -> DeskSigning:
    """The next round of the head's signing of the table as shown at `revision`: their
    personal signature over the drawn PDF, then the agency's seal over the signed one
    (docs/ca.md, "Signing at the signer's desk"). A `DomainError` (audited) when refused."""
    try:
        with transaction.atomic():
            locked = _signable(registration, by, revision)
        agency = locked.agency
        pdf = documents.registration_pdf(locked, by=by, day=timezone.localdate())
        return desk_round_prepare(
            pdf=pdf,
            agency=agency,
            position=anchor_position(pdf, documents.SIGNATURE_ANCHOR),
            purpose=partial(_purpose, locked.pk, locked.revision),
            reason=f"Đăng ký nhu cầu chứng thư số giai đoạn {locked.campaign.period}",
            no_personal_message=_(
                "Bạn chưa có chứng thư số cá nhân còn hiệu lực: không thể ký bản đăng ký."
            ),
            by=by,
            document_number=locked.number,
            title=_("Đăng ký nhu cầu chứng thư số giai đoạn %(period)s")
            % {"period": locked.campaign.period},
            location=place_name(agency),
        )
    except DomainError as exc:
        _refused(registration, by=by, desk_signing_id=None, error=exc)
        raise


def registration_desk_complete(
    *,
    registration: Registration,
    answer: DeskAnswer,
    by,
) -> DemandRound:
    """Embed the signature the head's device returned (`answer`); after the seal,
    store the signed PDF and send the registration (the state change, audit, deadline and
    notices of "Ký"). A `DomainError` (audited, registration unchanged) when refused."""
    try:
        with transaction.atomic():
            locked = _signable(registration, by)
        purpose = partial(_purpose, locked.pk, locked.revision)
        completed = desk_round_complete(
            purpose=purpose,
            answer=answer,
            by=by,
        )
        if completed.field_name != SEAL_FIELD:
            return DemandRound(field_name=completed.field_name, document=None)
        with transaction.atomic():
            document = _send(registration, by=by, revision=locked.revision, pdf=completed.pdf)
            record_signed(
                purpose=purpose,
                agency=locked.agency,
                document_id=locked.pk,
                document_number=document.number,
            )
    except DomainError as exc:
        _refused(registration, by=by, desk_signing_id=answer.desk_signing_id, error=exc)
        raise
    registration.refresh_from_db()
    return DemandRound(field_name=SEAL_FIELD, document=document)


def _send(registration: Registration, *, by, revision: int, pdf: bytes) -> DemandDocument:
    """Store the sealed `pdf` as the registration's signed document and send it, decided
    again on the locked row. One signed document per registration (a database constraint)."""
    locked = _signable(registration, by, revision)
    document = DemandDocument(
        registration=locked,
        version=1,
        kind=DocumentKind.SIGNED,
        number=locked.number,
        issued_on=timezone.localdate(),
        created_by=by,
    )
    document.set_content(pdf)
    document.save()
    locked.sent_at, locked.sent_by = timezone.now(), by
    _move(
        locked,
        "sign",
        by=by,
        fields=("number", "sent_at", "sent_by"),
        noted={"number": locked.number, "sha256": document.sha256, "source": "desk"},
    )
    deadlines_met(locked.campaign_id, [locked.agency_id])
    _tell_receivers(locked)
    return document


def _changed() -> DomainError:
    return DomainError(
        _("Bản đăng ký vừa được sửa sau khi bạn mở trang: hãy xem lại rồi ký."),
        code="changed",
    )


def _tell_receivers(registration: Registration) -> None:
    """The province's officers (or, for a ministry, the CA) learn that it arrived."""
    agency = registration.agency
    receivers = province_officers(agency.province_id) if agency.province_id else ca_operators()
    notify(
        users=receivers,
        message=text(
            gettext_noop("%(agency)s đã gửi đăng ký nhu cầu chứng thư số giai đoạn %(period)s."),
            agency=agency.name,
            period=registration.campaign.period,
        ),
        url=table_url(registration.campaign_id),
        subject=f"demand_registration:{registration.pk}",
        kind="demand",
    )
