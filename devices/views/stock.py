"""The CA operator's stock import: upload → the worker reads and checks every line (an import
job, with its progress page) → preview with every line's problems → confirm. The confirmation
checks everything again and imports every device or none."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from devices import stock_jobs
from devices.choices import DeviceKind
from devices.excel import TEMPLATE_HEADERS, StockFileError
from devices.forms import StockUploadForm
from devices.permissions import is_ca
from devices.services import StockImportRefused, StockRow
from devices.stock_jobs import STOCK_IMPORT, result_rows, stock_import_start
from portal.imports import STATE_MESSAGES, ImportJobNotReady, import_job_discard
from portal.lib.exports import blank_template
from portal.models import ImportJob

PREVIEW_ROWS = 500


def _require_ca(user) -> None:
    if not is_ca(user):
        raise PermissionDenied


def _job(request, job_pk: int) -> ImportJob:
    """The operator's own job; anyone else's is 404 (docs/architecture.md §5)."""
    return get_object_or_404(ImportJob.objects.owned_by(request.user).of(STOCK_IMPORT), pk=job_pk)


def _preview(rows: list[StockRow], problems: dict[int, list[str]]) -> list[dict]:
    return [{"row": row, "problems": problems.get(row.line, [])} for row in rows[:PREVIEW_ROWS]]


def _counts(rows: list[StockRow]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.kind] = counts.get(row.kind, 0) + 1
    return [
        (DeviceKind(kind).label if kind in DeviceKind.values else kind, n)
        for kind, n in counts.items()
    ]


def _preview_context(job: ImportJob) -> dict:
    rows = result_rows(job.result)
    problems = {int(line): found for line, found in job.result.get("problems", {}).items()}
    file_problems = job.result.get("file_problems", [])
    return {
        "total": len(rows),
        "problem_count": len(problems),
        "file_problems": file_problems,
        "preview": _preview(sorted(rows, key=lambda r: (r.line not in problems, r.line)), problems),
        "preview_limit": PREVIEW_ROWS,
        "can_confirm": not problems and not file_problems,
        "counts": _counts(rows),
    }


@login_required
@require_GET
def stock_template(request):
    """The blank workbook for the stock import, with exactly the headers it reads."""
    _require_ca(request.user)
    return blank_template(
        filename="mau-nhap-kho-thiet-bi", headers=TEMPLATE_HEADERS, sheet_title=_("Thiết bị")
    )


@login_required
@require_http_methods(["GET", "POST"])
def stock_import(request):
    """The upload: the file is inspected here and parsed by the worker (an import job)."""
    _require_ca(request.user)
    form = StockUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = stock_import_start(upload=form.cleaned_data["file"], by=request.user)
        except StockFileError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("devices:stock_import_job", job_pk=job.pk)
    return render(request, "devices/stock_import.html", {"form": form})


@login_required
@require_GET
def stock_import_job(request, job_pk: int):
    """The job's page: progress while the worker reads (polled by htmx), then the preview."""
    _require_ca(request.user)
    job = _job(request, job_pk)
    poll_url = request.path
    context = {
        "job": job,
        "state_message": STATE_MESSAGES.get(job.status, ""),
        "poll_url": poll_url,
    }
    if request.htmx:
        if not job.is_running:
            return HttpResponseClientRefresh()  # the full page shows the outcome
        return render(request, "portal/partials/_import_progress.html", context)
    if job.status == ImportJob.Status.READY:
        context.update(_preview_context(job))
    return render(request, "devices/stock_import_job.html", context)


@login_required
@require_POST
def stock_import_confirm(request, job_pk: int):
    _require_ca(request.user)
    job = _job(request, job_pk)
    try:
        created = stock_jobs.stock_import_confirm(job=job, by=request.user)
    except ImportJobNotReady as exc:
        messages.error(request, exc.message)
        return redirect("devices:stock_import_job", job_pk=job.pk)
    except StockImportRefused as exc:
        import_job_discard(job=job, by=request.user)
        details = "; ".join(
            _("dòng %(line)d: %(msg)s") % {"line": line, "msg": " ".join(msgs)}
            for line, msgs in sorted(exc.problems.items())[:10]
        )
        messages.error(request, f"{exc.message} {details}")
        return redirect("devices:stock_import")
    messages.success(request, _("Đã nhập kho %(n)d thiết bị.") % {"n": len(created)})
    return redirect("devices:stock")


@login_required
@require_POST
def stock_import_discard(request, job_pk: int):
    _require_ca(request.user)
    job = _job(request, job_pk)
    import_job_discard(job=job, by=request.user)
    messages.info(request, _("Đã huỷ lần nhập tệp; chưa thiết bị nào được nhập."))
    return redirect("devices:stock_import")
