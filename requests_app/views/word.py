"""A letter as a Word file, for whoever may see the letter (docs/architecture.md §8): out of
scope is 404, like the letter's page (`visible_to`)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from portal.lib.docx import docx_response
from requests_app.models import CertRequest
from requests_app.word import letter_docx, letter_docx_name


@login_required
@require_GET
def letter_docx_download(request, pk: int):
    letter = get_object_or_404(
        CertRequest.objects.visible_to(request.user).select_related(
            "agency__parent", "agency__province"
        ),
        pk=pk,
    )
    return docx_response(letter_docx(letter), letter_docx_name(letter))
