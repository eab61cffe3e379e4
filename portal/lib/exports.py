"""Export a list page as .xlsx: the one streaming helper every list's "Xuất Excel" uses.

A list view hands over its own filtered, scoped queryset (the same code that fills the page),
the Vietnamese headers and a function turning one object into one line. The workbook is
written in openpyxl's write-only mode into a temporary file on disk and served by a
FileResponse, so memory stays bounded whatever the number of rows; the queryset is read with
`.iterator(chunk_size=...)`, so the caller's select_related keeps the query count constant.
Cells go through `portal.lib.xlsx.export_row` (formula-proof; IDs, serials, phones and letter
numbers as text cells). `blank_template` is the empty workbook offered next to each import.
See docs/architecture.md, "Exports".
"""

import tempfile
from collections.abc import Callable, Iterable
from datetime import date, datetime

from django.http import FileResponse, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.lib.xlsx import XLSX_CONTENT_TYPE, export_cell, export_row, new_export, save

EXPORT_PARAM = "xuat"
EXPORT_VALUE = "xlsx"
CHUNK_SIZE = 2000
# Lines of a blank import template pre-formatted as text.
TEMPLATE_TEXT_ROWS = 500


def wants_export(request) -> bool:
    """The list was asked for as Excel (`?xuat=xlsx`)."""
    return request.GET.get(EXPORT_PARAM) == EXPORT_VALUE


def export_query(request) -> str:
    """The page's query string (its current filters) for the "Xuất Excel" button."""
    query = request.GET.copy()
    query.pop("page", None)
    query[EXPORT_PARAM] = EXPORT_VALUE
    return query.urlencode()


def day(value: date | datetime | None) -> str:
    """dd/mm/yyyy (a datetime in local time), blank for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value.strftime("%d/%m/%Y")


def moment(value: datetime | None) -> str:
    """dd/mm/yyyy HH:MM in local time, blank for None."""
    if value is None:
        return ""
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")


def write_list(
    handle,
    *,
    title: str,
    headers: list[str],
    rows: Iterable,
    line: Callable[[object], list],
    text_columns: frozenset[int] = frozenset(),
) -> None:
    """Write the workbook into the open binary file `handle`: a title line, the time of the
    export, the bold header line, then one line per object (numbered "STT" in column 1)."""
    from openpyxl.styles import Font

    workbook, sheet = new_export(title)
    sheet.append([export_cell(sheet, title, font=Font(bold=True, size=13))])
    stamp = timezone.localtime().strftime("%d/%m/%Y %H:%M")
    sheet.append([export_cell(sheet, _("Xuất lúc %(when)s") % {"when": stamp})])
    sheet.append(export_row(sheet, [_("STT"), *headers], font=Font(bold=True)))
    shifted = frozenset(index + 1 for index in text_columns)
    if hasattr(rows, "iterator"):
        rows = rows.iterator(chunk_size=CHUNK_SIZE)
    for number, obj in enumerate(rows, start=1):
        sheet.append(export_row(sheet, [number, *line(obj)], text_columns=shifted))
    workbook.save(handle)


def export_list(
    *,
    filename: str,
    title: str,
    headers: list[str],
    rows: Iterable,
    line: Callable[[object], list],
    text_columns: frozenset[int] = frozenset(),
) -> FileResponse:
    """The list as an .xlsx download named `<filename>-<yyyymmdd>.xlsx`. `text_columns` are
    0-based indexes into `headers` (and `line`'s values) written as text cells."""
    # FileResponse closes the file once sent (the OS deletes it then).
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    try:
        write_list(
            handle, title=title, headers=headers, rows=rows, line=line, text_columns=text_columns
        )
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    stamp = timezone.localdate().strftime("%Y%m%d")
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{filename}-{stamp}.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )


def blank_template(*, filename: str, headers: list[str], sheet_title: str) -> HttpResponse:
    """An empty workbook for an import: one bold line with exactly the headers its importer
    accepts, every column formatted as text for the first rows so Excel keeps leading zeros
    and long numbers (IDs, phones, serials) as typed."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title[:31]
    sheet.append(headers)
    for index, cell in enumerate(sheet[1], start=1):
        cell.font = Font(bold=True)
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = max(12, min(len(headers[index - 1]) + 4, 40))
        for row in range(2, TEMPLATE_TEXT_ROWS + 2):
            sheet.cell(row=row, column=index).number_format = "@"
    response = HttpResponse(save(workbook), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
