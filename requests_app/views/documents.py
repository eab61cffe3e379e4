"""A letter's PDF versions, downloaded by whoever may see the letter (docs/architecture.md §8):
out of scope is 404, like the letter's page (`visible_to`)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from portal.documents import pdf_download
from requests_app.models import CertRequest, LetterDocument


@login_required
@require_GET
def letter_document_download(request, pk: int, version: int):
    letter = get_object_or_404(CertRequest.objects.visible_to(request.user), pk=pk)
    document = get_object_or_404(
        LetterDocument.objects.select_related("letter"), letter=letter, version=version
    )
    return pdf_download(document, document.download_name)
