"""The Mẫu 07, 08 and 09 documents as PDF downloads (docs/architecture.md §8), fetched
through the same scoped lookups as their pages: out of scope is 404."""

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_GET

from devices import services
from devices.views.documents import _loss, _minutes, _notice
from portal.documents import pdf_download


def _pdf(request, document):
    """The document's stored PDF as it reads now (rendered and stored on first request)."""
    stored = services.device_document_pdf(document=document, by=request.user)
    return pdf_download(stored, stored.download_name)


@login_required
@require_GET
def notice_pdf(request, pk: int):
    return _pdf(request, _notice(request, pk))


@login_required
@require_GET
def minutes_pdf(request, pk: int):
    return _pdf(request, _minutes(request, pk))


@login_required
@require_GET
def loss_pdf(request, pk: int):
    return _pdf(request, _loss(request, pk))
