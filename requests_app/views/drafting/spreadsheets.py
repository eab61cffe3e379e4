"""The Excel import (upload, preview, confirmation) and export of a letter."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from portal.errors import DomainError
from portal.imports import STATE_MESSAGES, ImportJobNotReady, import_job_discard
from portal.lib.exports import blank_template
from portal.models import ImportJob
from privacy.disclosure import MASKED, Disclosure, full_export_page
from requests_app import cells, excel
from requests_app.choices import FormKind
from requests_app.columns import FORM_COLUMNS
from requests_app.disclosure import export_keys, row_subject
from requests_app.excel.jobs import (
    LETTER_IMPORT,
    letter_import_confirm,
    letter_import_start,
    result_sheet,
)
from requests_app.forms import ExcelUploadForm
from requests_app.models import CertRequest, RequestRow
from requests_app.views.drafting.common import (
    drafting_view,
    get_letter,
    table_context,
)

PREVIEW_ROWS = 200


def _importable(request, pk: int) -> CertRequest:
    cert_request = get_letter(request, pk, "edit")
    if cert_request.form != FormKind.ISSUE_PERSON:
        raise Http404
    return cert_request


def _job(request, cert_request: CertRequest, job_pk: int) -> ImportJob:
    """The user's own job for this letter; anyone else's is 404 (docs/architecture.md §5)."""
    return get_object_or_404(
        ImportJob.objects.owned_by(request.user).of(LETTER_IMPORT, cert_request.pk), pk=job_pk
    )


def _preview_context(job: ImportJob) -> dict:
    sheet = result_sheet(job.result)
    rows_read = job.result.get("rows_read", 0)
    return {
        "layout_label": str(excel.LAYOUT_LABELS[sheet.layout]),
        "rows_read": rows_read,
        "problems": job.result.get("problems", []),
        "good": [
            {
                "line": r.line,
                "cells": [
                    cells.editor_cell(RequestRow(**r.data), n)
                    for n in FORM_COLUMNS[FormKind.ISSUE_PERSON]
                ],
            }
            for r in sheet.rows[:PREVIEW_ROWS]
        ],
        "good_count": len(sheet.rows),
        "bad_count": rows_read - len(sheet.rows),
    }


@login_required
@require_http_methods(["GET", "POST"])
@drafting_view
def excel_import(request, pk: int):
    """The upload: the file is inspected here and parsed by the worker (an import job)."""
    cert_request = _importable(request, pk)
    form = ExcelUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = letter_import_start(
                cert_request=cert_request, upload=form.cleaned_data["file"], by=request.user
            )
        except excel.ImportRefused as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("requests_app:import_job", pk=cert_request.pk, job_pk=job.pk)
    return render(
        request,
        "requests_app/drafting/import.html",
        {
            "cert_request": cert_request,
            "form": form,
            "max_rows": excel.max_rows(),
            "max_mb": excel.MAX_BYTES // 1024 // 1024,
        },
    )


@login_required
@require_GET
@drafting_view
def excel_import_job(request, pk: int, job_pk: int):
    """The job's page: progress while the worker reads (polled by htmx), then the preview."""
    cert_request = _importable(request, pk)
    job = _job(request, cert_request, job_pk)
    poll_url = request.path
    if request.htmx:
        if not job.is_running:
            return HttpResponseClientRefresh()  # the full page shows the outcome
        return render(
            request,
            "portal/partials/_import_progress.html",
            {"job": job, "state_message": STATE_MESSAGES[job.status], "poll_url": poll_url},
        )
    if job.status == ImportJob.Status.CONFIRMED:
        added = cert_request.imports.filter(job=job).values_list("rows", flat=True).first()
        if added is not None:
            messages.success(request, _("Đã thêm %(n)d dòng từ tệp Excel.") % {"n": added})
            return redirect("requests_app:edit", pk=cert_request.pk)
    context = {
        **table_context(cert_request),
        "job": job,
        "state_message": STATE_MESSAGES.get(job.status, ""),
        "poll_url": poll_url,
    }
    if job.status == ImportJob.Status.READY:
        context.update(_preview_context(job))
    return render(request, "requests_app/drafting/import_preview.html", context)


@login_required
@require_POST
@drafting_view
def excel_import_confirm(request, pk: int, job_pk: int):
    """The confirmation queues the save: the worker checks the rows again and adds them, and
    the job's page follows it (docs/processing.md §4.7)."""
    cert_request = _importable(request, pk)
    job = _job(request, cert_request, job_pk)
    try:
        letter_import_confirm(job=job, cert_request=cert_request, by=request.user)
    except (ImportJobNotReady, DomainError) as exc:
        messages.error(request, exc.message)
    return redirect("requests_app:import_job", pk=cert_request.pk, job_pk=job.pk)


@login_required
@require_POST
@drafting_view
def excel_import_discard(request, pk: int, job_pk: int):
    cert_request = _importable(request, pk)
    job = _job(request, cert_request, job_pk)
    import_job_discard(job=job, by=request.user)
    messages.info(request, _("Đã huỷ lần nhập tệp; chưa dòng nào được thêm."))
    return redirect("requests_app:import", pk=cert_request.pk)


def _export(cert_request: CertRequest, disclosure: Disclosure):
    """The letter's rows as Excel (`excel.export_workbook`), and the rows written."""
    rows = list(cert_request.rows.with_registry().order_by("position"))
    body = excel.export_workbook(cert_request, rows, disclosure=disclosure)
    response = HttpResponse(body, content_type=excel.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="van-ban-{cert_request.pk}-mau-{cert_request.form}.xlsx"'
    )
    return response, rows


@login_required
@require_GET
def excel_export(request, pk: int):
    """The rows as Excel, ID numbers, birth and ID issue dates and phones masked: whoever
    sees the letter may download it."""
    response, _rows = _export(get_letter(request, pk), MASKED)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def excel_export_full(request, pk: int):
    """The rows as Excel with full values (docs/privacy.md, "Exports, API and documents"): a
    reason, the right to every masked field of the form, one access recorded with the file.
    A form whose export masks nothing has no such page (404)."""
    cert_request = get_letter(request, pk)
    keys = export_keys(cert_request.form)
    if not keys:
        raise Http404

    def build(disclosure: Disclosure):
        response, rows = _export(cert_request, disclosure)
        return response, [row_subject(row) for row in rows], cert_request

    return full_export_page(
        request,
        keys=keys,
        title=str(cert_request),
        back_url=reverse("requests_app:detail", args=[cert_request.pk]),
        build=build,
    )


TEMPLATES = {
    excel.LAYOUT_MAU01: ("mau-01-danh-sach", "Mẫu 01"),
    excel.LAYOUT_CA: ("bang-cuc-cts-19-cot", "Cục CTS&BMTT"),
}


@login_required
@require_GET
def excel_template(request, layout: str):
    """A blank workbook for the letter import, with exactly the headers the importer checks
    (requests_app/excel/layouts.py): the Mẫu 01 list or the CA's 19-column sheet."""
    if layout not in TEMPLATES:
        raise Http404
    filename, sheet_title = TEMPLATES[layout]
    layout_headers = excel.MAU01_HEADERS if layout == excel.LAYOUT_MAU01 else excel.CA_HEADERS
    headers = [title for title, _fragments in layout_headers]
    return blank_template(filename=filename, headers=headers, sheet_title=sheet_title)
