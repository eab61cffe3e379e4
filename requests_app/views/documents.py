"""A letter's PDF versions, downloaded by whoever may see the letter (docs/architecture.md §8):
out of scope is 404, like the letter's page (`visible_to`); and the signatures of its signed
version, as last verified, with a re-check on request."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from portal.documents import DocumentKind, pdf_download
from requests_app import services
from requests_app.models import CertRequest, LetterDocument


@login_required
@require_GET
def letter_document_download(request, pk: int, version: int):
    letter = get_object_or_404(CertRequest.objects.visible_to(request.user), pk=pk)
    document = get_object_or_404(
        LetterDocument.objects.select_related("letter"), letter=letter, version=version
    )
    return pdf_download(document, document.download_name)


def signatures_context(cert_request: CertRequest, documents=None) -> dict:
    """The letter page's signature panel: the signed version of the letter as issued now and
    its newest verification (stored on receipt: the page does not verify). `documents`: the
    letter's versions already read without their content, among which the signed one is
    found (one per number, `letterdoc_one_per_issuance`) instead of reading its PDF again."""
    if documents is None:
        signed = services.letter_signed_current(cert_request)
    else:
        signed = next(
            (
                document
                for document in documents
                if cert_request.number
                and document.kind == DocumentKind.SIGNED
                and document.number == cert_request.number
            ),
            None,
        )
    verification = None
    if signed is not None:
        verification = signed.verifications.select_related("checked_by__person").first()
    return {"signed_document": signed, "verification": verification}


@login_required
@require_POST
def letter_signatures_verify(request, pk: int):
    """Check the signatures again now (revocations since receipt count): anyone who sees the
    letter may ask; each check is stored and audited."""
    letter = get_object_or_404(
        CertRequest.objects.visible_to(request.user).select_related("agency"), pk=pk
    )
    signed = services.letter_signed_current(letter)
    if signed is None:
        messages.error(request, _("Văn bản chưa có bản đã ký số."))
    else:
        verification = services.letter_signed_verify(document=signed, by=request.user)
        level = messages.success if verification.ok else messages.error
        level(
            request, _("Đã kiểm tra lại chữ ký số: %(summary)s") % {"summary": verification.summary}
        )
    return redirect("requests_app:detail", pk=letter.pk)
