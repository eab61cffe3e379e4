"""Export a list page as .xlsx: the one helper every list's "Xuất Excel" uses.

A list view hands over its own filtered, scoped queryset (the same code that fills the page),
the Vietnamese headers and a function turning one row into one line (`export_list`). A small
list is written at once into a temporary file served by a FileResponse; a large one (more
than PORTAL_EXPORT_INLINE_MAX_ROWS, by a bounded count) becomes an export job built by the
worker, and the user is sent to its page (`portal.export_jobs`). Either way the rows are read
with `.iterator(chunk_size=...)` (the caller's select_related or values_list keeps the query
count constant) and written by `portal.lib.xlsx_stream` (formula-proof; IDs, serials, phones
and letter numbers as text cells), so memory stays bounded whatever the number of rows.
`blank_template` is the empty workbook offered next to each import.
See docs/processing.md, "Exports" and §12.5.
"""

import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.http import FileResponse, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from portal.export_jobs.service import export_answer
from portal.lib.xlsx import XLSX_CONTENT_TYPE, save
from portal.lib.xlsx_stream import BOLD, TITLE, StreamedSheet

EXPORT_PARAM = "xuat"
EXPORT_VALUE = "xlsx"
CHUNK_SIZE = 2000
# How often (in lines) `write_list` reports its progress.
PROGRESS_EVERY = 2000
# Lines of a blank import template pre-formatted as text.
TEMPLATE_TEXT_ROWS = 500


def wants_export(request) -> bool:
    """The list was asked for as Excel (`?xuat=xlsx`)."""
    return request.GET.get(EXPORT_PARAM) == EXPORT_VALUE


def export_query(request) -> str:
    """The page's query string (its current filters) for the "Xuất Excel" button."""
    query = request.GET.copy()
    # Where the page is in the list is no filter: the export has every row.
    for name in ("page", "cursor", "den"):
        query.pop(name, None)
    query[EXPORT_PARAM] = EXPORT_VALUE
    return query.urlencode()


def day(value: date | datetime | None) -> str:
    """dd/mm/yyyy (a datetime in local time), blank for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


def labels(choices) -> dict:
    """A TextChoices' labels by value, translated once for a whole export (a model's
    `get_<field>_display()` rebuilds its choices, translating each, on every call)."""
    return {value: str(label) for value, label in choices.choices}


def moment(value: datetime | None) -> str:
    """dd/mm/yyyy HH:MM in local time, blank for None."""
    if value is None:
        return ""
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")


@dataclass
class ListExport:
    """What a list view asks to export: the file's name stem and title, the headers, the rows
    (a queryset or a list) and `line`, turning one row into the values under the headers.
    `text_columns` are 0-based indexes into `headers` written as text cells."""

    filename: str
    title: str
    headers: list[str]
    rows: Iterable
    line: Callable[[object], list]
    text_columns: frozenset[int] = frozenset()

    def download_name(self) -> str:
        return f"{self.filename}-{timezone.localdate():%Y%m%d}.xlsx"

    def write(self, handle, *, progress: Callable[[int], None] | None = None) -> int:
        return write_list(
            handle,
            title=self.title,
            headers=self.headers,
            rows=self.rows,
            line=self.line,
            text_columns=self.text_columns,
            progress=progress,
        )

    def response(self) -> FileResponse:
        """The workbook, written now, as a download."""
        # FileResponse closes the file once sent (the OS deletes it then).
        handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
        try:
            self.write(handle)
            handle.seek(0)
        except BaseException:
            handle.close()
            raise
        return FileResponse(
            handle,
            as_attachment=True,
            filename=self.download_name(),
            content_type=XLSX_CONTENT_TYPE,
        )


def write_list(
    handle,
    *,
    title: str,
    headers: list[str],
    rows: Iterable,
    line: Callable[[object], list],
    text_columns: frozenset[int] = frozenset(),
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the workbook into the open binary file `handle`: a title line, the time of the
    export, the bold header line, then one line per row (numbered "STT" in column 1).
    `progress(lines written)` is called every PROGRESS_EVERY lines. Returns the lines."""
    widths = [6] + [max(10, min(len(str(header)) + 4, 40)) for header in headers]
    stamp = timezone.localtime().strftime("%d/%m/%Y %H:%M")
    if hasattr(rows, "iterator"):
        rows = rows.iterator(chunk_size=CHUNK_SIZE)
    shifted = frozenset(index + 1 for index in text_columns)
    written = 0
    with StreamedSheet(handle, title=title, widths=widths) as sheet:
        sheet.append([title], style=TITLE)
        sheet.append([_("Xuất lúc %(when)s") % {"when": stamp}])
        sheet.append([_("STT"), *headers], style=BOLD)
        numbered = ([number, *line(row)] for number, row in enumerate(rows, start=1))
        while True:
            batch = sheet.extend(_take(numbered, PROGRESS_EVERY), text_columns=shifted)
            written += batch
            if progress is not None and batch:
                progress(written)
            if batch < PROGRESS_EVERY:
                break
    return written


def _take(iterator, n: int):
    for _index, item in zip(range(n), iterator, strict=False):
        yield item


def export_list(
    *,
    request=None,
    filename: str,
    title: str,
    headers: list[str],
    rows: Iterable,
    line: Callable[[object], list],
    text_columns: frozenset[int] = frozenset(),
) -> HttpResponse:
    """The list as an .xlsx named `<filename>-<yyyymmdd>.xlsx`. With the `request` of the list
    page a large list becomes an export job (the answer sends the user to its page), and in
    the worker building that job this writes the job's file (`portal.export_jobs`); without
    it the file is written now."""
    export = ListExport(
        filename=filename,
        title=str(title),
        headers=[str(header) for header in headers],
        rows=rows,
        line=line,
        text_columns=text_columns,
    )
    if request is not None:
        return export_answer(request, export)
    return export.response()


def blank_template(*, filename: str, headers: list[str], sheet_title: str) -> HttpResponse:
    """An empty workbook for an import: one bold line with exactly the headers its importer
    accepts, every column formatted as text for the first rows so Excel keeps leading zeros
    and long numbers (IDs, phones, serials) as typed."""
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
