"""An export job's two pages (docs/scale.md §12.5): its progress, polled by htmx until
the file is ready, and the download. A job is its owner's alone: 404 for anyone else."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRefresh

from portal.export_jobs.models import ExportJob
from portal.export_jobs.service import export_storage, stored_name
from portal.lib.stored_files import stored_download
from portal.lib.xlsx import XLSX_CONTENT_TYPE

S = ExportJob.Status
STATE_MESSAGES = {
    S.QUEUED: gettext_lazy("Đang chờ đến lượt tạo tệp…"),
    S.BUILDING: gettext_lazy("Đang tạo tệp Excel…"),
    S.READY: gettext_lazy("Tệp Excel đã sẵn sàng."),
    S.FAILED: gettext_lazy("Không tạo được tệp Excel."),
    S.EXPIRED: gettext_lazy("Tệp này đã hết hạn và đã được xoá. Hãy xuất lại từ danh sách."),
}


def _job(request, pk: int) -> ExportJob:
    return get_object_or_404(ExportJob.objects.owned_by(request.user), pk=pk)


@login_required
@require_GET
def export_job(request, pk: int):
    """The job's page: progress while the worker builds the file (polled by htmx), then the
    download link, the reason of a failure, or the expiry."""
    job = _job(request, pk)
    context = {"job": job, "state_message": STATE_MESSAGES[job.status], "poll_url": request.path}
    if request.htmx:
        if not job.is_running:
            return HttpResponseClientRefresh()  # the full page shows the outcome
        return render(request, "portal/partials/_export_progress.html", context)
    if job.status == S.READY:
        if stored_name(job) is None:  # deleted under the job (a restored backup, a cleanup)
            context["state_message"] = STATE_MESSAGES[S.EXPIRED]
        else:
            context["download_url"] = reverse("portal:export_download", args=[job.pk])
            keep = timedelta(hours=settings.PORTAL_EXPORT_KEEP_HOURS)
            context["expires_at"] = job.created_at + keep
    return render(request, "portal/export_job.html", context)


@login_required
@require_GET
def export_download(request, pk: int):
    """The built file, to its owner only, while it is kept."""
    job = _job(request, pk)
    name = stored_name(job)
    if name is None:
        raise Http404
    return stored_download(
        export_storage(),
        name,
        file_name=job.file_name or f"xuat-{job.pk}.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )
