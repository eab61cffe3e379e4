"""The portal signs an issued letter in the worker (docs/architecture.md §8): the rendered
version, signed with the issuing head's personal certificate and sealed with the agency's
organisation certificate (`certificates.signing.sign_and_seal`), stored as the signed version
by `letter_signed_store`, which hands the letter to the Sở KH&CN.

At least once, never twice: a second run finds the signed version (one per issuance, a
constraint) and stops. A failure (the head's certificate revoked since the click…) leaves the
letter `issued`, records the reason on it for the head (`signing_error`, audited) and signs
nothing; the head may send the letter back to the draft and issue it again."""

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from certificates.choices import SignedDocumentKind
from certificates.exceptions import CertificateError
from certificates.services import signing_events_record_pair
from certificates.signing import anchor_position, sign_and_seal, signing_pair
from portal.audit import audit_record
from requests_app.choices import Signing, Status
from requests_app.documents import SIGNATURE_ANCHOR
from requests_app.models import CertRequest, LetterDocument
from requests_app.services.documents import issuer_of, letter_document_render, rendered_current
from requests_app.services.signing import letter_signed_current, letter_signed_store

logger = logging.getLogger(__name__)


def _signable(cert_request: CertRequest | None) -> bool:
    return (
        cert_request is not None
        and cert_request.status == Status.ISSUED
        and cert_request.signing == Signing.PORTAL
        and not cert_request.signing_error
        and bool(cert_request.number)
    )


def _record_failure(cert_request_id: int, number: str, message: str, issuer) -> None:
    with transaction.atomic():
        locked = CertRequest.objects.select_for_update().filter(pk=cert_request_id).first()
        if not _signable(locked) or locked.number != number:
            return  # signed, sent back or issued again meanwhile
        locked.signing_error = message[:500]
        locked.save(update_fields=["signing_error", "updated_at"])
        audit_record(
            actor=issuer,
            action="cert_request.sign_fail",
            obj=locked,
            after={"number": number, "error": locked.signing_error},
        )


def letter_portal_sign(*, cert_request_id: int) -> LetterDocument | None:
    """Sign the issued letter's rendered version as its head and agency, and store it. None
    when there is nothing to sign (not issued, signed outside the portal, failed, not
    rendered yet) or when signing failed (recorded on the letter)."""
    cert_request = (
        CertRequest.objects.select_related("agency__province").filter(pk=cert_request_id).first()
    )
    if cert_request is None:
        return None
    existing = letter_signed_current(cert_request)
    if existing is not None or not _signable(cert_request):
        return existing
    rendered = rendered_current(cert_request)
    if rendered is None:
        return None
    number = cert_request.number
    issuer = issuer_of(cert_request)
    agency = cert_request.agency
    try:
        pair = signing_pair(user=issuer, agency=agency)
        content = bytes(rendered.content)
        pdf = sign_and_seal(
            content,
            pair=pair,
            # Over the signature block, above the printed name (templates/portal/pdf/_signature.html).
            position=anchor_position(content, SIGNATURE_ANCHOR),
            agency_name=agency.name,
            by=issuer,
            reason=_("Ký ban hành văn bản số %(number)s") % {"number": number},
            location=agency.province.name if agency.province_id else "",
        )
    except CertificateError as exc:
        _record_failure(cert_request.pk, number, exc.message, issuer)
        return None
    except Exception:  # a signer's failure of any kind: recorded for the head, never half-done
        logger.exception("letter %s could not be signed", cert_request.pk)
        _record_failure(
            cert_request.pk, number, _("Không ký được văn bản trên cổng do lỗi hệ thống."), issuer
        )
        return None
    signing_events_record_pair(
        pair=pair,
        agency=agency,
        document_kind=SignedDocumentKind.LETTER,
        document_id=cert_request.pk,
        document_number=number,
    )
    return letter_signed_store(
        cert_request_id=cert_request.pk, number=number, pdf=pdf, by=issuer, source="portal"
    )


def letter_document_prepare(*, cert_request_id: int) -> LetterDocument | None:
    """The worker's part of an issuance: render the letter, then, when the portal signs it,
    sign it. Returns the newest version made or found."""
    rendered = letter_document_render(cert_request_id=cert_request_id)
    if rendered is None:
        return None
    return letter_portal_sign(cert_request_id=cert_request_id) or rendered
