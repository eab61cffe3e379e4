"""The Mẫu 07, 08 and 09 documents as PDF downloads (docs/documents.md §8), fetched
through the same scoped lookups as their pages: out of scope is 404."""

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_GET

from devices import services
from devices.views.documents import visible_loss, visible_minutes, visible_notice
from portal.documents import pdf_download


def _pdf(request, document):
    """The document's PDF as it reads now: its stored version when this content is stored,
    else drawn now and not stored (a GET never writes; signing stores the version signed)."""
    current = services.device_document_render(document=document)
    return pdf_download(current, current.download_name)


@login_required
@require_GET
def notice_pdf(request, pk: int):
    return _pdf(request, visible_notice(request, pk))


@login_required
@require_GET
def minutes_pdf(request, pk: int):
    return _pdf(request, visible_minutes(request, pk))


@login_required
@require_GET
def loss_pdf(request, pk: int):
    return _pdf(request, visible_loss(request, pk))
