"""The head signs an issued letter at their own desk (docs/ca.md, "Signing at the signer's
desk"; docs/domain.md §9): two rounds through the signing client on their computer, the
head's personal signature (`ChuKyLanhDao`) and then the agency's seal with its organisation
certificate (`DauCoQuan`), each prepared and completed by `certificates.desk`. The sealed PDF
then takes the same way in as an uploaded one (`letter_signed_accept`: the same inspection,
then `letter_signed_store`, which hands the letter to the Sở KH&CN).

The right is the upload's (action "upload_signed" of the lifecycle table: the head of the
agency, on a letter issued to be signed with the head's own device), decided on the locked
letter at each step. A refused answer leaves the letter as it was and is audited twice: on the
signing request (`desk_signing.refuse`) and on the letter (`letter_document.desk_refused`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.utils.translation import gettext as _

from certificates.desk.models import DeskSigning
from certificates.desk.rounds import desk_round_complete, desk_round_prepare
from certificates.desk.services import DeskAnswer
from certificates.signing import SEAL_FIELD, SIGNATURE_FIELD, anchor_position
from devices.models import DeviceDocument
from portal.audit import audit_record
from portal.errors import DomainError
from requests_app.documents import SIGNATURE_ANCHOR
from requests_app.models import CertRequest, LetterDocument
from requests_app.services.upload import (
    ACTION,
    check_awaiting_upload,
    letter_signed_accept,
    rendered_of,
)
from requests_app.workflow import acting


@dataclass(frozen=True)
class DeskRound:
    """The outcome of one completed round: the stored signed version after the seal (a
    letter's or a device document's), None after the head's signature (the seal comes next)."""

    field_name: str
    document: LetterDocument | DeviceDocument | None


def _purpose(cert_request_id: int, rendered_id: int, field_name: str) -> str:
    # The rendered version names the issuance: a letter issued again is signed afresh.
    return f"letter:{cert_request_id}:{rendered_id}:{field_name}"


def _locked_issuance(cert_request: CertRequest, by):
    with acting(cert_request, ACTION, by=by, check=check_awaiting_upload) as locked:
        return locked, rendered_of(locked)


def letter_awaiting_seal(cert_request: CertRequest) -> bool:
    """Whether the head has signed the issued letter at "Ký" and the agency's seal is next
    (the page says so after a reload)."""
    rendered = rendered_of(cert_request)
    if rendered is None:
        return False
    return DeskSigning.objects.awaiting_seal(
        _purpose(cert_request.pk, rendered.pk, SIGNATURE_FIELD),
        _purpose(cert_request.pk, rendered.pk, SEAL_FIELD),
    )


def letter_desk_prepare(*, cert_request: CertRequest, by) -> DeskSigning:
    """The next round for the issued letter: the head's signature over the rendered PDF, or,
    once that is done, the agency's seal over the head's signed PDF."""
    locked, rendered = _locked_issuance(cert_request, by)
    agency = locked.agency
    content = bytes(rendered.content)
    return desk_round_prepare(
        pdf=content,
        agency=agency,
        # Over the signature block, above the printed name (templates/portal/pdf/_signature.html).
        position=anchor_position(content, SIGNATURE_ANCHOR),
        purpose=partial(_purpose, locked.pk, rendered.pk),
        reason=_("Ký ban hành văn bản số %(number)s") % {"number": locked.number},
        no_personal_message=_(
            "Bạn chưa có chứng thư số cá nhân còn hiệu lực để ký văn bản. Hãy ký bằng "
            "thiết bị của mình và tải bản đã ký lên."
        ),
        by=by,
        document_number=locked.number,
        title=locked.subject or str(locked.get_form_display()),
        location=agency.province.name if agency.province_id else "",
    )


def _audit_refusal(cert_request: CertRequest, *, by, desk_signing_id, error: DomainError) -> None:
    with transaction.atomic():
        audit_record(
            actor=by,
            action="letter_document.desk_refused",
            obj=cert_request,
            after={
                "number": cert_request.number,
                "request_id": str(desk_signing_id),
                "code": error.code,
            },
            reason=str(error.message),
        )


def letter_desk_complete(
    *,
    cert_request: CertRequest,
    answer: DeskAnswer,
    by,
) -> DeskRound:
    """Embed the signature the head's device returned (`answer`); after
    the seal, accept the signed PDF as the letter's signed version (see the module). Raises a
    `DomainError` (audited, letter unchanged) when anything is refused."""
    locked, rendered = _locked_issuance(cert_request, by)
    try:
        completed = desk_round_complete(
            purpose=partial(_purpose, locked.pk, rendered.pk),
            answer=answer,
            by=by,
            agency=locked.agency,
        )
    except DomainError as exc:
        _audit_refusal(locked, by=by, desk_signing_id=answer.desk_signing_id, error=exc)
        raise
    if completed.field_name != SEAL_FIELD:
        return DeskRound(field_name=completed.field_name, document=None)
    # The completion verified every signature of these very bytes for the agency: the
    # inspection reads those reports instead of verifying again.
    document = letter_signed_accept(
        cert_request=cert_request,
        pdf=completed.pdf,
        by=by,
        source="desk",
        reports=completed.reports,
    )
    return DeskRound(field_name=SEAL_FIELD, document=document)
