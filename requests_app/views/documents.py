"""A letter's PDF versions, downloaded by whoever may see the letter (docs/architecture.md §8):
out of scope is 404, like the letter's page (`visible_to`)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from requests_app.models import CertRequest, LetterDocument


def pdf_response(content: bytes, file_name: str, *, sha256: str) -> HttpResponse:
    """A stored PDF as an attachment under its safe name, never cached by a shared proxy."""
    response = HttpResponse(bytes(content), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["ETag"] = f'"{sha256}"'
    return response


@login_required
@require_GET
def letter_document_download(request, pk: int, version: int):
    letter = get_object_or_404(CertRequest.objects.visible_to(request.user), pk=pk)
    document = get_object_or_404(
        LetterDocument.objects.select_related("letter"), letter=letter, version=version
    )
    return pdf_response(document.content, document.download_name, sha256=document.sha256)
