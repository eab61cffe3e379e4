"""The Excel import (upload, preview, confirmation) and export of a letter."""

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.errors import DomainError
from requests_app import cells, excel
from requests_app.choices import FormKind
from requests_app.columns import FORM_COLUMNS
from requests_app.exceptions import RowsInvalid
from requests_app.forms import (
    ExcelConfirmForm,
    ExcelUploadForm,
)
from requests_app.models import CertRequest, RequestRow
from requests_app.views.drafting.common import (
    IMPORT_SESSION_KEY,
    drafting_view,
    get_letter,
    table_context,
)


def _stage(request, cert_request, sheet: excel.ParsedSheet) -> str:
    """Keep the good rows server-side until the clerk confirms (one import per session)."""
    token = secrets.token_urlsafe(16)
    request.session[IMPORT_SESSION_KEY] = {
        "token": token,
        "letter": cert_request.pk,
        "payload": excel.to_payload(sheet.layout, sheet.good_rows),
    }
    return token


def _preview(request, cert_request, sheet, *, status=200) -> HttpResponse:
    token = _stage(request, cert_request, sheet) if sheet.good_rows else ""
    problems = [
        (row.line, column, message) for row in sheet.bad_rows for column, message in row.problems
    ]
    return render(
        request,
        "requests_app/drafting/import_preview.html",
        {
            **table_context(cert_request),
            "sheet": sheet,
            "problems": problems,
            "good": [
                {
                    "line": r.line,
                    "cells": [
                        cells.editor_cell(RequestRow(**r.data), n)
                        for n in FORM_COLUMNS[FormKind.ISSUE_PERSON]
                    ],
                }
                for r in sheet.good_rows[:200]
            ],
            "good_count": len(sheet.good_rows),
            "bad_count": len(sheet.bad_rows),
            "token": token,
        },
        status=status,
    )


def _importable(request, pk: int) -> CertRequest:
    cert_request = get_letter(request, pk, "edit")
    if cert_request.form != FormKind.ISSUE_PERSON:
        raise Http404
    return cert_request


@login_required
@require_http_methods(["GET", "POST"])
@drafting_view
def excel_import(request, pk: int):
    cert_request = _importable(request, pk)
    form = ExcelUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            sheet = excel.read_workbook(form.cleaned_data["file"])
        except excel.ImportRefused as exc:
            form.add_error("file", exc.message)
        else:
            if not sheet.rows:
                form.add_error("file", _("Tệp không có dòng dữ liệu nào dưới dòng tiêu đề."))
            else:
                excel.check_rows(cert_request, sheet.layout, sheet.rows)
                return _preview(request, cert_request, sheet)
    return render(
        request,
        "requests_app/drafting/import.html",
        {
            "cert_request": cert_request,
            "form": form,
            "max_rows": excel.MAX_ROWS,
            "max_mb": excel.MAX_BYTES // 1024 // 1024,
        },
    )


@login_required
@require_POST
@drafting_view
def excel_import_confirm(request, pk: int):
    cert_request = _importable(request, pk)
    form = ExcelConfirmForm(request.POST)
    staged = request.session.get(IMPORT_SESSION_KEY) or {}
    if (
        not form.is_valid()
        or staged.get("token") != form.cleaned_data["token"]
        or staged.get("letter") != cert_request.pk
    ):
        messages.error(
            request,
            _("Dữ liệu xem trước đã hết hạn hoặc đã được thêm. Hãy tải tệp lên lại."),
        )
        return redirect("requests_app:import", pk=cert_request.pk)
    sheet = excel.from_payload(staged["payload"])
    excel.check_rows(cert_request, sheet.layout, sheet.rows)
    if sheet.bad_rows:
        messages.warning(request, _CHANGED_MESSAGE)
        return _preview(request, cert_request, sheet)
    try:
        count = excel.save_rows(
            cert_request=cert_request, by=request.user, layout=sheet.layout, rows=sheet.rows
        )
    except RowsInvalid:
        messages.warning(request, _CHANGED_MESSAGE)
        return _preview(request, cert_request, sheet)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("requests_app:import", pk=cert_request.pk)
    del request.session[IMPORT_SESSION_KEY]
    messages.success(request, _("Đã thêm %(n)d dòng từ tệp Excel.") % {"n": count})
    return redirect("requests_app:edit", pk=cert_request.pk)


_CHANGED_MESSAGE = gettext_lazy(
    "Văn bản đã thay đổi từ lúc xem trước: một số dòng không còn hợp lệ. Chưa dòng nào được thêm; "
    "hãy xem lại danh sách dưới đây."
)


@login_required
@require_GET
def excel_export(request, pk: int):
    cert_request = get_letter(request, pk)
    rows = cert_request.rows.select_related("certificate", "device").order_by("position")
    body = excel.export_workbook(cert_request, rows)
    response = HttpResponse(body, content_type=excel.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="van-ban-{cert_request.pk}-mau-{cert_request.form}.xlsx"'
    )
    return response
