"""Both parties sign a device document at their own desks, the only way a device document is
signed (docs/devices.md, "Who signs what"; docs/ca.md, "Signing at the signer's desk"): each
round prepared and completed by `certificates.desk` (certificates/desk/rounds.py), the signing
client on the signer's computer signing the digest with their token.

- The agency head (Mẫu 07, 09; Mẫu 08 as the handing-over side): their signature, then the
  agency's seal, as for a letter (requests_app/services/desk.py); the sealed PDF is stored as
  the agency's SIGNED version and the document is sent.
- The receiving Sở KH&CN or CA (Mẫu 08): its officer's signature over the agency's signed
  version, then the receiving organisation's seal when it has one (otherwise the officer's
  round is the last), each an incremental update that keeps the agency's signatures valid;
  the result is stored as the receiver's SIGNED version and the receipt is confirmed
  (devices' `return_minutes_confirm`: the devices are returned, their obligations closed).

Each step is decided on the document's row as locked; a refusal is a `DomainError`, leaves the
document as it was and is audited (`desk_signing.refuse` for a refused answer, and
`device_document.desk_refused` on the document)."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.utils.translation import gettext as _

from agencies.documents import place_name
from certificates.choices import SignedDocumentKind
from certificates.desk.models import DeskSigning
from certificates.desk.rounds import desk_round_complete, desk_round_prepare
from certificates.desk.services import DeskAnswer
from certificates.services import signing_events_record_pair
from certificates.signing import (
    SEAL_FIELD,
    SIGNATURE_FIELD,
    SigningPair,
    anchor_position,
    seal_certificate,
)
from devices import services as devices_services
from devices.models import ReturnMinutes, SigningParty
from devices.permissions import is_head_of, is_receiver_of, require
from paperwork.signing import (
    AGENCY_ANCHOR,
    FORMS,
    REASONS,
    RECEIVER_ANCHOR,
    RECEIVER_REASON,
    RECEIVER_SEAL_FIELD,
    RECEIVER_SIGNATURE_FIELD,
    lock,
    owner_field,
    signed_version,
    store,
)
from portal.audit import audit_record
from portal.errors import DomainError
from requests_app.services.desk import DeskRound


def _purpose(locked, rendered_id: int, field_name: str) -> str:
    return f"device:{FORMS[type(locked)]}:{locked.pk}:{rendered_id}:{field_name}"


def _receiver_purpose(locked, agency_signed_id: int, field_name: str) -> str:
    return f"device:08:{locked.pk}:receiver:{agency_signed_id}:{field_name}"


def _refused(document, *, by, exc: DomainError, party: str, desk_signing_id=None) -> None:
    with transaction.atomic():
        audit_record(
            actor=by,
            action="device_document.desk_refused",
            obj=document,
            after={
                "form": FORMS[type(document)],
                "party": party,
                "request_id": str(desk_signing_id or ""),
                "code": exc.code,
            },
            reason=str(exc.message),
        )


def _signing_events(locked, purpose, *, agency, fields: tuple[str, str]) -> SigningPair:
    """The signing monitor's events for the certificates the document's done rounds used
    (certificates/services/monitoring.py); the pair (seal None if there was no seal round)."""
    used = {}
    for field_name in fields:
        done = (
            DeskSigning.objects.done_for(purpose(field_name))
            .select_related("certificate__person")
            .first()
        )
        if done is not None:
            used[field_name] = done.certificate
    pair = SigningPair(personal=used.get(fields[0]), seal=used.get(fields[1]))
    signing_events_record_pair(
        pair=pair,
        agency=agency,
        document_kind=SignedDocumentKind.DEVICE_DOCUMENT,
        document_id=locked.pk,
    )
    return pair


# --- the agency head: Mẫu 07, 08, 09 ----------------------------------------------------------
def _signable(document, by):
    """The locked document and the version the head signs, or a refusal (see the module)."""
    owner_field(document)
    require(is_head_of(by, document.agency))
    locked = lock(document)
    if signed_version(locked) is not None:
        raise DomainError(_("Văn bản đã được ký và gửi."), code="already_signed")
    if isinstance(locked, ReturnMinutes) and locked.confirmed_at is not None:
        raise DomainError(_("Biên bản này đã được xác nhận."), code="already_confirmed")
    # The version the head signs names them in its signature block (docs/domain.md §10.1).
    rendered = devices_services.device_document_pdf(document=locked, by=by, signer=by)
    return locked, rendered


def device_document_desk_prepare(*, document, by) -> DeskSigning:
    """The next round for the document: the head's signature, then the agency's seal."""
    with transaction.atomic():
        locked, rendered = _signable(document, by)
    agency = locked.agency
    content = bytes(rendered.content)
    return desk_round_prepare(
        pdf=content,
        agency=agency,
        position=anchor_position(content, AGENCY_ANCHOR),
        purpose=partial(_purpose, locked, rendered.pk),
        reason=REASONS[type(locked)],
        no_personal_message=_("Bạn chưa có chứng thư số cá nhân còn hiệu lực để ký văn bản."),
        by=by,
        document_number=locked.number or "",
        title=str(locked),
        location=place_name(agency),
    )


def device_document_desk_complete(*, document, answer: DeskAnswer, by) -> DeskRound:
    """Embed the signature returned (`answer`); after the seal, store the agency's
    signed version and send the document. `DomainError` (audited) when refused."""
    with transaction.atomic():
        locked, rendered = _signable(document, by)
    purpose = partial(_purpose, locked, rendered.pk)
    try:
        completed = desk_round_complete(
            purpose=purpose,
            answer=answer,
            by=by,
        )
    except DomainError as exc:
        _refused(
            locked,
            by=by,
            exc=exc,
            party=SigningParty.AGENCY,
            desk_signing_id=answer.desk_signing_id,
        )
        raise
    if completed.field_name != SEAL_FIELD:
        return DeskRound(field_name=completed.field_name, document=None)
    with transaction.atomic():
        locked, _rendered = _signable(document, by)
        stored = store(locked, completed.pdf, party=SigningParty.AGENCY, by=by)
        if stored is None:  # pragma: no cover - the row lock serialises callers
            stored = signed_version(locked)
        else:
            _signing_events(
                locked, purpose, agency=locked.agency, fields=(SIGNATURE_FIELD, SEAL_FIELD)
            )
            devices_services.device_document_mark_sent(document=locked, by=by)
    document.sent_at = locked.sent_at
    return DeskRound(field_name=SEAL_FIELD, document=stored)


# --- the receiving side: Mẫu 08 ---------------------------------------------------------------
def _countersignable(minutes, by):
    """The locked minutes and the agency's signed version the receiver signs over, or a
    refusal: only the receiving side, only once the agency signed and sent them, only once."""
    require(isinstance(minutes, ReturnMinutes) and is_receiver_of(by, minutes))
    locked = lock(minutes)
    if locked.confirmed_at is not None or signed_version(locked, SigningParty.RECEIVER):
        raise DomainError(_("Biên bản này đã được xác nhận."), code="already_confirmed")
    agency_signed = signed_version(locked)
    if locked.sent_at is None or agency_signed is None:
        raise DomainError(
            _("Lãnh đạo bên giao chưa ký biên bản: chưa thể ký xác nhận."), code="not_sent"
        )
    return locked, agency_signed


def return_minutes_receiver_desk_prepare(*, minutes: ReturnMinutes, by) -> DeskSigning:
    """The receiver's next round: the officer's signature over the agency's signed version,
    then the receiving organisation's seal (only asked for when it has one)."""
    try:
        with transaction.atomic():
            locked, agency_signed = _countersignable(minutes, by)
        content = bytes(agency_signed.content)
        return desk_round_prepare(
            pdf=content,
            agency=locked.receiver,
            position=anchor_position(content, RECEIVER_ANCHOR),
            purpose=partial(_receiver_purpose, locked, agency_signed.pk),
            reason=RECEIVER_REASON,
            no_personal_message=_(
                "Bạn chưa có chứng thư số cá nhân còn hiệu lực để ký xác nhận biên bản."
            ),
            by=by,
            document_number=locked.number or "",
            title=str(locked),
            location=place_name(locked.agency),
            signature_field=RECEIVER_SIGNATURE_FIELD,
            seal_field=RECEIVER_SEAL_FIELD,
            seal_optional=True,
        )
    except DomainError as exc:
        _refused(minutes, by=by, exc=exc, party=SigningParty.RECEIVER)
        raise


def return_minutes_receiver_desk_complete(
    *,
    minutes: ReturnMinutes,
    answer: DeskAnswer,
    by,
) -> DeskRound:
    """Embed the signature returned (`answer`). After the last round (the seal, or
    the officer's signature when the receiving organisation has no seal) store the receiver's
    signed version and confirm the receipt, as one transaction. `DomainError` (audited) when
    refused; nothing is stored or confirmed then."""
    try:
        with transaction.atomic():
            locked, agency_signed = _countersignable(minutes, by)
        purpose = partial(_receiver_purpose, locked, agency_signed.pk)
        completed = desk_round_complete(
            purpose=purpose,
            answer=answer,
            by=by,
        )
        last = completed.field_name == RECEIVER_SEAL_FIELD
        if not last and seal_certificate(locked.receiver) is not None:
            return DeskRound(field_name=completed.field_name, document=None)
        with transaction.atomic():
            locked, _agency_signed = _countersignable(minutes, by)
            stored = store(locked, completed.pdf, party=SigningParty.RECEIVER, by=by)
            if stored is None:  # pragma: no cover - the row lock serialises callers
                raise DomainError(_("Biên bản này đã được xác nhận."), code="already_confirmed")
            pair = _signing_events(
                locked,
                purpose,
                agency=locked.receiver,
                fields=(RECEIVER_SIGNATURE_FIELD, RECEIVER_SEAL_FIELD),
            )
            person = pair.personal.person if pair.personal is not None else None
            devices_services.return_minutes_confirm(
                minutes=locked,
                by=by,
                receiver_representative=person.full_name if person else "",
                receiver_representative_title=person.position if person else "",
            )
    except DomainError as exc:
        _refused(
            minutes,
            by=by,
            exc=exc,
            party=SigningParty.RECEIVER,
            desk_signing_id=answer.desk_signing_id,
        )
        raise
    minutes.__dict__.update(
        {k: getattr(locked, k) for k in ("confirmed_at", "confirmed_by_id", "sent_at")}
    )
    return DeskRound(field_name=completed.field_name, document=stored)
