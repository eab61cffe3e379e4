"""The one Excel reader every importer uses: an uploaded .xlsx, its first sheet, row by row.

openpyxl in read-only mode streams the rows (a 2,000-line file never sits in memory as
cells); each row comes back as a list of cleaned values: text NFC-normalised (Excel may hand
over decomposed diacritics) with its runs of blanks collapsed and its ends trimmed, blank text
as None, and numbers, dates and booleans as Excel stored them, for the importer to interpret.
A file that cannot be used at all raises `XlsxRefused` with a message for the user.

The file is inspected before it is parsed: its zip central directory (read without
decompressing anything) must have few entries, a bounded total uncompressed size and a sane
compression ratio, so a small file that would expand to gigabytes is refused at once. While
streaming, the rows and columns are capped, and a cell that cannot be stored (a non-finite or
unreadable number such as `nan`, `inf` or `1e999`, a control character, a lone surrogate, an
overlong text, a formula, a formula's error such as `#N/A`) becomes None with a problem on its
row (`Row.problems`, and `Row.flaws` by column), for the importer to report as a per-row
error: a bad cell never refuses the whole file.

What real files hold (tests/portal/fixtures/xlsx/README.md): shared strings (Excel,
LibreOffice), inline strings (other generators), numbers and dates as serials with a date
format, numbers stored as text, formulas with their cached value (Excel and LibreOffice store
it) or without one (openpyxl and scripts). A formula is never read as data, cached value or
not: its value depends on other cells (`=A1` in a position column gave the header's "STT"),
so the cell is a problem that names it and its formula, and the clerk pastes values instead.
The sheet's XML is read by openpyxl's streaming parser with
`_CellParser` in front of its cell reader. A leading text-prefix character (Excel's `'`, or a
typographic quote a word processor put in its place) is dropped from text cells.

Exports go through `write_cell_value`/`export_cell`: formulas are neutralised and ID-like
columns written as text.
"""

import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Iterator

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import coordinate_to_tuple, get_column_letter
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.xml.constants import SHEET_MAIN_NS

MAX_BYTES = 5 * 1024 * 1024
# The zip inside: a real .xlsx has a dozen entries and compresses its XML 5-30 times.
MAX_ZIP_ENTRIES = 200
MAX_UNCOMPRESSED = 60 * 1024 * 1024
MAX_RATIO = 120
# Streaming caps: lines read (blank ones included), columns per line, characters per cell.
MAX_ROWS = 25_000
MAX_COLS = 60
MAX_CELL_CHARS = 2_000
# Reading stops after this many empty lines in a row: a sheet formatted down to line 1,048,576
# is not read to its end.
MAX_BLANK_RUN = 200
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class XlsxRefused(ValueError):
    """The file cannot be read at all (not .xlsx, too big, damaged); `message` in Vietnamese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Row(list):
    """A line's cleaned values, with the problems of the cells that could not be read
    (`problems`, each naming its column) and the same by 1-based column (`flaws`)."""

    def __init__(self, values=(), problems=None):
        super().__init__(values)
        self.problems: list[str] = list(problems or [])
        self.flaws: dict[int, str] = {}


class CellFlaw(str):
    """What the parser found in a cell that holds no usable value (`checked` reports it)."""

    kind = ""


class BadNumber(CellFlaw):
    kind = "number"


class Formula(CellFlaw):
    """A formula ("=…"), whatever value the file caches for it; `cell` is where it is (B7)."""

    kind = "formula"
    cell = ""

    @classmethod
    def at(cls, text: str, *, row: int, column: int) -> "Formula":
        formula = cls(text)
        formula.cell = f"{get_column_letter(column)}{row}"
        return formula


class FormulaError(CellFlaw):
    kind = "error"


# Excel's text prefix, and the typographic quotes a word processor or a copy from the web
# puts in its place: dropped from the start of a text cell.
QUOTE_PREFIXES = ("'", "\u2018", "\u2019", "`", "\u00b4", "\uff07")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def clean_text(value: str) -> str:
    """NFC, runs of blanks (line breaks included) as one space, no blanks at the ends."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", value)).strip()


def clean(value):
    """A cell's value as importers read it: text cleaned, without a leading text-prefix
    character (None when blank), the rest as is."""
    if isinstance(value, str):
        value = clean_text(value)
        if value.startswith(QUOTE_PREFIXES):
            value = value[1:].lstrip()
        return value or None
    return value


def _flaw_message(flaw: CellFlaw, column: int) -> str:
    if flaw.kind == "formula":
        return _(
            "Cột %(col)d, ô %(cell)s: ô chứa công thức (%(formula)s), không phải giá trị: hãy "
            "chép các ô rồi dán dạng giá trị (Paste Values) và tải lên lại."
        ) % {"col": column, "cell": flaw.cell, "formula": _shorten(flaw)}
    if flaw.kind == "error":
        return _("Cột %(col)d: công thức trong ô báo lỗi %(value)s.") % {
            "col": column,
            "value": _shorten(flaw),
        }
    return _("Cột %(col)d: số không hợp lệ (%(value)s).") % {"col": column, "value": _shorten(flaw)}


def _shorten(value: str, limit: int = 60) -> str:
    value = _CONTROL.sub("", value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def checked(value, column: int, problems: list[str], flaws: dict[int, str] | None = None):
    """The cleaned value, or None with a problem when it cannot be stored."""
    if isinstance(value, CellFlaw):
        return _refuse(_flaw_message(value, column), column, problems, flaws)
    if isinstance(value, float) and not math.isfinite(value):
        return _refuse(
            _("Cột %(col)d: số không hợp lệ (%(value)s).") % {"col": column, "value": value},
            column,
            problems,
            flaws,
        )
    if isinstance(value, str):
        if _CONTROL.search(value):
            return _refuse(
                _("Cột %(col)d: có ký tự không hợp lệ (ký tự điều khiển hoặc mã hoá hỏng).")
                % {"col": column},
                column,
                problems,
                flaws,
            )
        if len(value) > MAX_CELL_CHARS:
            return _refuse(
                _("Cột %(col)d: nội dung quá dài (tối đa %(max)d ký tự).")
                % {"col": column, "max": MAX_CELL_CHARS},
                column,
                problems,
                flaws,
            )
    return clean(value)


def _refuse(message: str, column: int, problems: list[str], flaws) -> None:
    problems.append(message)
    if flaws is not None:
        flaws[column] = message
    return None


def inspect_zip(content: bytes) -> None:
    """Refuse a zip bomb from its central directory alone (nothing is decompressed).

    zipfile stops a member's output at the size the central directory declares, so the
    sizes checked here bound what openpyxl can later inflate.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise XlsxRefused(_("Không đọc được tệp Excel: tệp bị hỏng hoặc sai định dạng.")) from exc
    with archive:
        entries = archive.infolist()
    too_big = XlsxRefused(
        _("Tệp Excel có nội dung bất thường (quá nhiều phần hoặc giải nén quá lớn): bị từ chối.")
    )
    if len(entries) > MAX_ZIP_ENTRIES:
        raise too_big
    total = sum(entry.file_size for entry in entries)
    packed = sum(entry.compress_size for entry in entries)
    if total > MAX_UNCOMPRESSED:
        raise too_big
    for entry in entries:
        if entry.file_size > 1024 * 1024 and entry.file_size > MAX_RATIO * max(
            entry.compress_size, 1
        ):
            raise too_big
    if total > 1024 * 1024 and total > MAX_RATIO * max(packed, 1):
        raise too_big


def inspect_upload(upload, max_bytes: int = MAX_BYTES) -> bytes:
    """The upload's bytes once its name, size, signature and zip directory pass (fast: nothing
    is decompressed); `XlsxRefused` otherwise. Runs in the web request, before a job is saved."""
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
    inspect_zip(content)
    return content


def _workbook(upload, max_bytes: int):
    content = inspect_upload(upload, max_bytes)
    try:
        return load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise XlsxRefused(_("Không đọc được tệp Excel: tệp bị hỏng hoặc sai định dạng.")) from exc


def read_rows(
    upload,
    *,
    max_col: int | None = None,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
) -> Iterator[tuple[int, Row]]:
    """(line number as Excel shows it, cleaned values) for each line of the first sheet.

    The file is checked before the first row is given (`XlsxRefused`); reading stops after
    MAX_BLANK_RUN empty lines in a row; more than `max_rows` lines raise `XlsxRefused`. Close the iterator (or read it to its end) to release
    the workbook: `with contextlib.closing(read_rows(upload)) as rows: …`.
    """
    workbook = _workbook(upload, max_bytes)
    return _rows(workbook, max_col, max_rows)


def _rows(workbook, max_col: int | None, max_rows: int) -> Iterator[tuple[int, Row]]:
    try:
        sheet = workbook.worksheets[0]
        # Read-only rows are as wide as the sheet's declared dimension: cap it, or a sheet
        # declared A1:XFD1 would hand over 16,384 cells per line.
        width = sheet.max_column if isinstance(sheet.max_column, int) else MAX_COLS
        max_col = min(max_col or width, MAX_COLS)
        blank_run = 0
        for line, values in enumerate(_guarded(_sheet_lines(sheet, max_col)), 1):
            if line > max_rows:
                raise XlsxRefused(
                    _("Tệp có hơn %(max)d dòng: hãy chia thành nhiều tệp.") % {"max": max_rows}
                )
            cleaned = Row()
            for column, value in enumerate(values, 1):
                cleaned.append(checked(value, column, cleaned.problems, cleaned.flaws))
            if all(value is None for value in cleaned) and not cleaned.problems:
                blank_run += 1
                if blank_run >= MAX_BLANK_RUN:
                    return
            else:
                blank_run = 0
            yield line, cleaned
    finally:
        workbook.close()


def _sheet_lines(sheet, max_col: int) -> Iterator[list]:
    """The sheet's lines as lists of `max_col` values, missing lines as blank ones, read by
    `_CellParser` (openpyxl's streaming parser of a read-only sheet, which it uses the same
    way: `ReadOnlyWorksheet._cells_by_row`)."""
    workbook = sheet.parent
    expected = 1
    with sheet._get_source() as source:
        parser = _cell_parser()(
            source,
            sheet._shared_strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        for number, cells in parser.parse():
            while expected < number:
                yield [None] * max_col
                expected += 1
            values = [None] * max_col
            for cell in cells:
                if 1 <= cell["column"] <= max_col:
                    values[cell["column"] - 1] = cell["value"]
            yield values
            expected = number + 1


_PARSER = None


def _cell_parser():
    """openpyxl's sheet parser, with a cell reader that keeps what the plain one loses or
    chokes on: a number it cannot read (`nan`, `inf`; `1e999` becomes inf), a formula (read
    as its cached value by openpyxl, or as blank when it has none), a formula's error
    (`#N/A`)."""
    global _PARSER  # noqa: PLW0603 - built once, on first use (openpyxl is imported lazily)
    if _PARSER is not None:
        return _PARSER

    formula_tag = f"{{{SHEET_MAIN_NS}}}f"
    value_tag = f"{{{SHEET_MAIN_NS}}}v"
    inline_tag = f"{{{SHEET_MAIN_NS}}}is"
    text_tags = (f"{{{SHEET_MAIN_NS}}}t", f"{{{SHEET_MAIN_NS}}}r")

    def inline_text(element) -> str | None:
        # An inline string's text: its <t>, or its runs' <t>s (phonetic runs left out); what
        # openpyxl's rich-text parser gives, a dozen times faster.
        inline = element.find(inline_tag)
        if inline is None:
            return None
        parts = []
        for child in inline:
            if child.tag == text_tags[0]:
                parts.append(child.text or "")
            elif child.tag == text_tags[1]:
                parts.extend(t.text or "" for t in child if t.tag == text_tags[0])
        return "".join(parts)

    class CellParser(WorkSheetParser):
        def parse_cell(self, element):
            if element.get("t") == "inlineStr":
                coordinate = element.get("r")
                row = self.row_counter
                if coordinate:
                    row, self.col_counter = coordinate_to_tuple(coordinate)
                else:
                    self.col_counter += 1
                return {
                    "row": row,
                    "column": self.col_counter,
                    "value": inline_text(element),
                    "data_type": "s",
                    "style_id": 0,
                }
            try:
                cell = super().parse_cell(element)
            except (ValueError, OverflowError, ArithmeticError):
                # A number openpyxl cannot cast: the column counter was already moved on.
                raw = element.findtext(value_tag, "") or ""
                return {
                    "row": self.row_counter,
                    "column": self.col_counter,
                    "value": BadNumber(raw.strip()),
                    "data_type": "n",
                    "style_id": 0,
                }
            value = cell["value"]
            formula = element.find(formula_tag)
            if cell["data_type"] == "e" and value is not None:
                cell["value"] = FormulaError(str(value))
            elif formula is not None:
                # A shared formula's other cells carry no text, only the group's index.
                text = formula.text or f"[{_('công thức dùng chung')}]"
                cell["value"] = Formula.at("=" + text, row=cell["row"], column=cell["column"])
            return cell

    _PARSER = CellParser
    return _PARSER


def _guarded(lines):
    """The sheet's lines; a damaged sheet found while streaming becomes `XlsxRefused`."""
    while True:
        try:
            values = next(lines)
        except StopIteration:
            return
        except Exception as exc:  # openpyxl/lxml raise many kinds on damaged XML
            raise XlsxRefused(
                _("Không đọc được tệp Excel: tệp bị hỏng hoặc sai định dạng.")
            ) from exc
        yield values


# --- exports -------------------------------------------------------------------------------
# A text starting with one of these is a formula (or DDE payload) to Excel or LibreOffice.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def export_cell(sheet, value, *, as_text: bool = False, font=None):
    """A write-only cell for an export: text is always stored as a string cell, never a
    formula; a text that would start a formula gets a leading apostrophe (OWASP's advice: Excel
    shows the text, not a formula); ID numbers, phones and serials (`as_text`) are text
    cells with the text number format, so Excel keeps their leading zeros."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        value = "'" + value
    if as_text and value is not None and not isinstance(value, str):
        value = str(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    if as_text:
        cell.number_format = "@"
    if font is not None:
        cell.font = font
    return cell


def export_row(sheet, values, *, text_columns=frozenset(), font=None) -> list:
    """A line of `export_cell`s; `text_columns` are 0-based indexes written as text."""
    return [
        export_cell(sheet, value, as_text=index in text_columns, font=font)
        for index, value in enumerate(values)
    ]


def new_export(title: str):
    """(workbook, sheet): a write-only workbook with one sheet, for `export_row`."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    return workbook, sheet


def save(workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
