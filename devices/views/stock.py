"""The CA operator's stock import: upload → preview with every line's problems → confirm.
The parsed lines wait in the session between the two steps; the confirmation checks them all
again and imports every device or none."""

import hashlib
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from devices import services
from devices.excel import StockFileError, read_stock_workbook
from devices.forms import StockUploadForm
from devices.permissions import is_ca
from devices.services import StockImportRefused, StockRow, stock_rows_check

SESSION_KEY = "devices_stock_import"
PREVIEW_ROWS = 500


def _require_ca(user) -> None:
    if not is_ca(user):
        raise PermissionDenied


def _digest(rows: list[dict]) -> str:
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()[:16]


def _preview(rows: list[StockRow], problems: dict[int, list[str]]) -> list[dict]:
    return [{"row": row, "problems": problems.get(row.line, [])} for row in rows[:PREVIEW_ROWS]]


@login_required
@require_http_methods(["GET", "POST"])
def stock_import(request):
    _require_ca(request.user)
    form = StockUploadForm(request.POST or None, request.FILES or None)
    context: dict = {"form": form}
    if request.method == "POST" and form.is_valid():
        try:
            parsed = read_stock_workbook(form.cleaned_data["file"])
        except StockFileError as exc:
            form.add_error("file", str(exc))
        else:
            problems = stock_rows_check(parsed.rows)
            for line, messages_ in parsed.problems.items():
                problems[line] = messages_ + [
                    m for m in problems.get(line, []) if m not in messages_
                ]
            file_problems = problems.pop(0, [])
            payload = [row.as_dict() for row in parsed.rows]
            if problems or file_problems:
                request.session.pop(SESSION_KEY, None)
            else:
                request.session[SESSION_KEY] = {"rows": payload, "digest": _digest(payload)}
            lines_with_problems = sorted(problems)
            context.update(
                previewed=True,
                file_name=form.cleaned_data["file"].name,
                total=len(parsed.rows),
                problem_count=len(lines_with_problems),
                file_problems=file_problems,
                preview=_preview(
                    sorted(parsed.rows, key=lambda r: (r.line not in problems, r.line)),
                    problems,
                ),
                preview_limit=PREVIEW_ROWS,
                digest=_digest(payload),
                can_confirm=not problems and not file_problems,
                counts=_counts(parsed.rows),
            )
    return render(request, "devices/stock_import.html", context)


def _counts(rows: list[StockRow]) -> list[tuple[str, int]]:
    from devices.choices import DeviceKind

    counts: dict[str, int] = {}
    for row in rows:
        counts[row.kind] = counts.get(row.kind, 0) + 1
    return [
        (DeviceKind(kind).label if kind in DeviceKind.values else kind, n)
        for kind, n in counts.items()
    ]


@login_required
@require_POST
def stock_import_confirm(request):
    _require_ca(request.user)
    pending = request.session.get(SESSION_KEY)
    if not pending or request.POST.get("digest") != pending.get("digest"):
        messages.error(request, _("Không còn tệp nào chờ xác nhận nhập kho: hãy tải tệp lên lại."))
        return redirect("devices:stock_import")
    rows = [StockRow(**item) for item in pending["rows"]]
    try:
        created = services.device_import_stock(rows=rows, by=request.user)
    except StockImportRefused as exc:
        request.session.pop(SESSION_KEY, None)
        details = "; ".join(
            _("dòng %(line)d: %(msg)s") % {"line": line, "msg": " ".join(msgs)}
            for line, msgs in sorted(exc.problems.items())[:10]
        )
        messages.error(request, f"{exc.message} {details}")
        return redirect("devices:stock_import")
    request.session.pop(SESSION_KEY, None)
    messages.success(request, _("Đã nhập kho %(n)d thiết bị.") % {"n": len(created)})
    return redirect("devices:stock")
