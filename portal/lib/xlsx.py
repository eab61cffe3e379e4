"""The one Excel reader every importer uses: an uploaded .xlsx, its first sheet, row by row.

openpyxl in read-only mode streams the rows (a 2,000-line file never sits in memory as
cells); each row comes back as a list of cleaned values: text NFC-normalised (Excel may hand
over decomposed diacritics) with its runs of blanks collapsed and its ends trimmed, blank text
as None, and numbers, dates and booleans as Excel stored them, for the importer to interpret.
A file that cannot be used at all raises `XlsxRefused` with a message for the user.
"""

import io
import re
import unicodedata
from collections.abc import Iterator

from django.utils.translation import gettext as _

MAX_BYTES = 5 * 1024 * 1024
# Reading stops after this many empty lines in a row: a sheet formatted down to line 1,048,576
# is not read to its end.
MAX_BLANK_RUN = 200
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class XlsxRefused(ValueError):
    """The file cannot be read at all (not .xlsx, too big, damaged); `message` in Vietnamese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def clean_text(value: str) -> str:
    """NFC, runs of blanks (line breaks included) as one space, no blanks at the ends."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", value)).strip()


def clean(value):
    """A cell's value as importers read it: text cleaned (None when blank), the rest as is."""
    if isinstance(value, str):
        return clean_text(value) or None
    return value


def _workbook(upload, max_bytes: int):
    from openpyxl import load_workbook

    name = (getattr(upload, "name", "") or "").lower()
    if not name.endswith(".xlsx"):
        raise XlsxRefused(
            _("Chỉ nhận tệp Excel .xlsx (tệp .xls cũ hãy mở bằng Excel và lưu lại dạng .xlsx).")
        )
    if upload.size > max_bytes:
        raise XlsxRefused(
            _("Tệp quá lớn (%(size)s MB): tối đa %(max)d MB.")
            % {"size": f"{upload.size / 1024 / 1024:.1f}", "max": max_bytes // 1024 // 1024}
        )
    content = upload.read()
    if not content.startswith(b"PK"):
        raise XlsxRefused(_("Tệp không phải là tệp Excel .xlsx hợp lệ."))
    try:
        return load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise XlsxRefused(_("Không đọc được tệp Excel: tệp bị hỏng hoặc sai định dạng.")) from exc


def read_rows(
    upload, *, max_col: int | None = None, max_bytes: int = MAX_BYTES
) -> Iterator[tuple[int, list]]:
    """(line number as Excel shows it, cleaned values) for each line of the first sheet.

    The file is checked before the first row is given (`XlsxRefused`); reading stops after
    MAX_BLANK_RUN empty lines in a row. Close the iterator (or read it to its end) to release
    the workbook: `with contextlib.closing(read_rows(upload)) as rows: …`.
    """
    workbook = _workbook(upload, max_bytes)
    return _rows(workbook, max_col)


def _rows(workbook, max_col: int | None) -> Iterator[tuple[int, list]]:
    try:
        sheet = workbook.worksheets[0]
        blank_run = 0
        for line, values in enumerate(sheet.iter_rows(values_only=True, max_col=max_col), 1):
            cleaned = [clean(value) for value in values]
            if all(value is None for value in cleaned):
                blank_run += 1
                if blank_run >= MAX_BLANK_RUN:
                    return
            else:
                blank_run = 0
            yield line, cleaned
    finally:
        workbook.close()


# --- writing ------------------------------------------------------------------------------
def export_row(sheet, values) -> list:
    """One line of an export, safe to open: every text is a text cell (never a formula, so a
    name typed as `=HYPERLINK(…)` stays a name), formatted as text ("@") so that ID numbers,
    phone numbers and serials keep their leading zeros; numbers and dates stay as they are.

    Every export appends its lines through this helper (docs/security.md)."""
    from openpyxl.cell import WriteOnlyCell

    line = []
    for value in values:
        if isinstance(value, str):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # openpyxl made "=…" a formula: undo that
            cell.number_format = "@"
            line.append(cell)
        else:
            line.append(value)
    return line
