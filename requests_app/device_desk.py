"""The agency head signs a device document at their own desk (Mẫu 07, 08 as the handing-over
side, 09; docs/devices.md, "Who signs what"; docs/ca.md, "Signing at the signer's desk"): the
same two rounds as a letter (requests_app/services/desk.py), the head's signature then the
agency's seal, each prepared and completed by `certificates.desk`; the sealed PDF is stored as
the agency's SIGNED version and the document is sent, exactly as after "Ký và gửi" on the
portal (requests_app/device_signing.py). Decided on the document's row as locked; a refused
answer leaves the document as it was and is audited (`desk_signing.refuse` and
`device_document.desk_refused`)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from agencies.documents import place_name
from certificates.desk.models import DeskSigning
from certificates.desk.services import desk_signing_complete, desk_signing_prepare
from certificates.signing import (
    SEAL_FIELD,
    SIGNATURE_FIELD,
    Appearance,
    anchor_position,
    personal_signing_certificate,
    seal_certificate,
)
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
    position = anchor_position(content, AGENCY_ANCHOR)
    common = {
        "by": by,
        "document_number": locked.number or "",
        "title": str(locked),
        "location": place_name(agency),
    }
    head_signed = (
        DeskSigning.objects.done_for(_purpose(locked, rendered.pk, SIGNATURE_FIELD))
        .exclude(signed_pdf=b"")
        .first()
    )
    if head_signed is None:
        personal = personal_signing_certificate(by)
        if personal is None:
            raise DomainError(
                _("Bạn chưa có chứng thư số cá nhân còn hiệu lực để ký văn bản."),
                code="no_personal_certificate",
            )
        person = personal.person
        return desk_signing_prepare(
            pdf=content,
            certificate=personal,
            field_name=SIGNATURE_FIELD,
            appearance=Appearance.signature(
                position,
                signer_name=person.full_name if person else personal.common_name,
                title=person.position if person else "",
                agency=agency.name,
            ),
            reason=REASONS[type(locked)],
            purpose=_purpose(locked, rendered.pk, SIGNATURE_FIELD),
            **common,
        )
    seal = seal_certificate(agency)
    if seal is None:
        raise DomainError(
            _(
                "Cơ quan %(agency)s chưa có chứng thư số cơ quan, tổ chức còn hiệu lực: "
                "không thể đóng dấu số văn bản."
            )
            % {"agency": agency.name},
            code="no_seal_certificate",
        )
    return desk_signing_prepare(
        pdf=bytes(head_signed.signed_pdf),
        certificate=seal,
        field_name=SEAL_FIELD,
        appearance=Appearance.seal(position, agency=agency.name),
        reason=_("Đóng dấu cơ quan"),
        purpose=_purpose(locked, rendered.pk, SEAL_FIELD),
        **common,
    )


def device_document_desk_complete(
    *, document, desk_signing_id, nonce: str, signature: bytes, certificate_der: bytes, by
) -> DeskRound:
    """Embed the signature returned for `desk_signing_id`; after the seal, store the agency's
    signed version and send the document. `DomainError` (audited) when refused."""
    with transaction.atomic():
        locked, rendered = _signable(document, by)
    desk_signing = (
        DeskSigning.objects.filter(
            pk=desk_signing_id, purpose__startswith=_purpose(locked, rendered.pk, "")
        )
        .only("pk", "field_name")
        .first()
    )
    try:
        if desk_signing is None:
            raise DomainError(
                _("Yêu cầu ký không thuộc văn bản này: không nhận."), code="foreign_request"
            )
        signed = desk_signing_complete(
            desk_signing_id=desk_signing.pk,
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
    if desk_signing.field_name != SEAL_FIELD:
        return DeskRound(field_name=desk_signing.field_name, document=None)
    with transaction.atomic():
        locked, _rendered = _signable(document, by)
        stored = _store(locked, signed, party=SigningParty.AGENCY, by=by)
        if stored is None:  # pragma: no cover - the row lock serialises callers
            stored = signed_version(locked)
        else:
            devices_services.device_document_mark_sent(document=locked, by=by)
    return DeskRound(field_name=SEAL_FIELD, document=stored)
