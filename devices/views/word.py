"""The Mẫu 07, 08 and 09 documents as Word downloads (docs/documents.md §8), fetched through
the same scoped lookups as their pages: out of scope is 404."""

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_GET

from devices.views.documents import visible_loss, visible_minutes, visible_notice
from devices.word import device_document_docx
from portal.lib.docx import docx_response


def _docx(document):
    return docx_response(*device_document_docx(document))


@login_required
@require_GET
def notice_docx(request, pk: int):
    return _docx(visible_notice(request, pk))


@login_required
@require_GET
def minutes_docx(request, pk: int):
    return _docx(visible_minutes(request, pk))


@login_required
@require_GET
def loss_docx(request, pk: int):
    return _docx(visible_loss(request, pk))
