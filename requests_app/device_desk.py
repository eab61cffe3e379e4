"""The agency head signs a device document at their own desk (Mẫu 07, 08 as the handing-over
side, 09; docs/devices.md, "Who signs what"; docs/ca.md, "Signing at the signer's desk"): the
same two rounds as a letter (requests_app/services/desk.py), the head's signature then the
agency's seal, each prepared and completed by `certificates.desk`; the sealed PDF is stored as
the agency's SIGNED version and the document is sent, exactly as after "Ký và gửi" on the
portal (requests_app/device_signing.py). Decided on the document's row as locked; a refused
answer leaves the document as it was and is audited (`desk_signing.refuse` and
`device_document.desk_refused`)."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.utils.translation import gettext as _

from agencies.documents import place_name
from certificates.desk.models import DeskSigning
from certificates.desk.rounds import desk_round_complete, desk_round_prepare
from certificates.signing import SEAL_FIELD, anchor_position
from devices import services as devices_services
from devices.models import ReturnMinutes, SigningParty
from devices.permissions import is_head_of, require
from portal.audit import audit_record
from portal.errors import DomainError
from requests_app.device_signing import (
    AGENCY_ANCHOR,
    FORMS,
    REASONS,
    _lock,
    _store,
    owner_field,
    signed_version,
)
from requests_app.services.desk import DeskRound


def _purpose(locked, rendered_id: int, field_name: str) -> str:
    return f"device:{FORMS[type(locked)]}:{locked.pk}:{rendered_id}:{field_name}"


def _signable(document, by):
    """The locked document and the version the head signs, or a refusal (see the module)."""
    owner_field(document)
    require(is_head_of(by, document.agency))
    locked = _lock(document)
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


def device_document_desk_complete(
    *, document, desk_signing_id, nonce: str, signature: bytes, certificate_der: bytes, by
) -> DeskRound:
    """Embed the signature returned for `desk_signing_id`; after the seal, store the agency's
    signed version and send the document. `DomainError` (audited) when refused."""
    with transaction.atomic():
        locked, rendered = _signable(document, by)
    try:
        completed = desk_round_complete(
            purpose=partial(_purpose, locked, rendered.pk),
            desk_signing_id=desk_signing_id,
            nonce=nonce,
            signature=signature,
            certificate_der=certificate_der,
            by=by,
        )
    except DomainError as exc:
        with transaction.atomic():
            audit_record(
                actor=by,
                action="device_document.desk_refused",
                obj=locked,
                after={"request_id": str(desk_signing_id), "code": exc.code},
                reason=str(exc.message),
            )
        raise
    if completed.field_name != SEAL_FIELD:
        return DeskRound(field_name=completed.field_name, document=None)
    with transaction.atomic():
        locked, _rendered = _signable(document, by)
        stored = _store(locked, completed.pdf, party=SigningParty.AGENCY, by=by)
        if stored is None:  # pragma: no cover - the row lock serialises callers
            stored = signed_version(locked)
        else:
            devices_services.device_document_mark_sent(document=locked, by=by)
    return DeskRound(field_name=SEAL_FIELD, document=stored)
