"""A letter as a Word file or an unsigned PDF preview, for whoever may see the letter (docs/documents.md §8): out of
scope is 404, like the letter's page (`visible_to`). Each download records one access to the
personal data it prints (docs/privacy.md, "Exports, API and documents")."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from portal.lib.docx import docx_response
from requests_app.disclosure import letter_document_access_record
from requests_app.models import CertRequest
from requests_app.word import (
    letter_docx,
    letter_docx_name,
    letter_pdf_preview,
    letter_pdf_preview_name,
)


@login_required
@require_GET
def letter_docx_download(request, pk: int):
    letter = get_object_or_404(
        CertRequest.objects.visible_to(request.user).select_related(
            "agency__parent", "agency__province"
        ),
        pk=pk,
    )
    response = docx_response(letter_docx(letter), letter_docx_name(letter))
    letter_document_access_record(cert_request=letter, by=request.user)
    return response


@login_required
@require_GET
def letter_pdf_preview_download(request, pk: int):
    """The letter as it reads now, as a PDF marked as an unsigned preview, shown in the
    browser (inline)."""
    letter = get_object_or_404(
        CertRequest.objects.visible_to(request.user).select_related(
            "agency__parent", "agency__province"
        ),
        pk=pk,
    )
    response = HttpResponse(letter_pdf_preview(letter), content_type="application/pdf")
    letter_document_access_record(cert_request=letter, by=request.user)
    response["Content-Disposition"] = f'inline; filename="{letter_pdf_preview_name(letter)}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
