"""The streamed workbook of the list exports (portal/lib/xlsx_stream.py), read back with
openpyxl as a user's spreadsheet program would: strings stay text and never formulas, the
named columns are text cells, numbers stay numbers, and what XML cannot carry is dropped."""

import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from portal.lib.xlsx_stream import BOLD, TITLE, StreamedSheet, column_letter


def _written(lines, *, text_columns=frozenset(), title="Danh sách"):
    handle = io.BytesIO()
    with StreamedSheet(handle, title=title, widths=[6, 20]) as sheet:
        sheet.extend(lines, text_columns=text_columns)
    handle.seek(0)
    return handle


def _sheet(lines, **kwargs):
    return load_workbook(_written(lines, **kwargs)).active


def test_lines_come_back_with_their_values_and_types():
    sheet = _sheet([[1, "Nguyễn Văn Thử", 2.5, Decimal("7.25"), True, None, ""]])
    cells = list(next(sheet.iter_rows()))
    assert [c.value for c in cells[:5]] == [1, "Nguyễn Văn Thử", 2.5, 7.25, True]
    assert [c.data_type for c in cells[:5]] == ["n", "s", "n", "n", "b"]
    assert sheet.max_column == 5, "empty values write no cell"


def test_a_text_that_would_start_a_formula_is_written_as_text_with_an_apostrophe():
    formula = '=HYPERLINK("http://x","y")'
    sheet = _sheet([[formula, "+1", "-2", "@a", "\tb"]])
    values = [c.value for c in next(sheet.iter_rows())]
    assert values == ["'" + formula, "'+1", "'-2", "'@a", "'\tb"]
    assert {c.data_type for c in next(sheet.iter_rows())} == {"s"}


def test_text_columns_are_text_cells_with_the_text_format_even_for_numbers():
    sheet = _sheet([["00123", 456, "x"]], text_columns={0, 1})
    first, second, third = next(sheet.iter_rows())
    assert (first.value, first.data_type, first.number_format) == ("00123", "s", "@")
    assert (second.value, second.data_type, second.number_format) == ("456", "s", "@")
    assert third.number_format == "General"


def test_a_negative_number_written_as_text_is_not_taken_for_a_formula():
    cell = next(_sheet([[-5]], text_columns={0}).iter_rows())[0]
    assert (cell.value, cell.data_type) == ("-5", "s")


def test_markup_is_escaped_and_control_characters_are_dropped():
    sheet = _sheet([["a < b & c > d", "x\x00y\x07z", "một\ndòng"]])
    assert [c.value for c in next(sheet.iter_rows())] == ["a < b & c > d", "xyz", "một\ndòng"]


def test_spaces_at_the_ends_of_a_text_are_kept():
    assert next(_sheet([["  lề  "]]).iter_rows())[0].value == "  lề  "


def test_a_text_of_only_control_characters_writes_no_cell():
    sheet = _sheet([["\x01\x02", "b"]])
    assert [c.value for c in next(sheet.iter_rows())] == [None, "b"]


def test_styles_title_and_bold_lines_and_column_widths():
    handle = io.BytesIO()
    with StreamedSheet(handle, title="Thiết bị", widths=[6, 20]) as sheet:
        sheet.append(["Tiêu đề"], style=TITLE)
        sheet.append(["STT", "Số hiệu"], style=BOLD)
        sheet.extend([[1, "VT1"]])
    sheet = load_workbook(io.BytesIO(handle.getvalue())).active
    assert sheet.title == "Thiết bị"
    assert sheet["A1"].font.b and sheet["A1"].font.sz == 13
    assert sheet["B2"].font.b and not sheet["B3"].font.b
    assert sheet.column_dimensions["B"].width == 20
    assert [c.value for c in sheet[3]] == [1, "VT1"]


def test_a_sheet_name_loses_what_excel_forbids_and_stays_within_31_characters():
    name = load_workbook(_written([[1]], title="Danh sách: a/b [c]" + "x" * 40)).active.title
    assert len(name) <= 31 and not set(name) & set(":/\\?*[]")


def test_many_lines_stream_through_one_compressed_entry():
    handle = _written(([n, f"VT{n:08d}"] for n in range(1, 3001)), text_columns={1})
    with zipfile.ZipFile(handle) as archive:
        entry = archive.getinfo("xl/worksheets/sheet1.xml")
        assert entry.compress_type == zipfile.ZIP_DEFLATED
        assert entry.compress_size < entry.file_size / 4
    handle.seek(0)
    sheet = load_workbook(handle, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 3000 and rows[-1] == (3000, "VT00003000")


@pytest.mark.parametrize(("index", "letters"), [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ")])
def test_column_letters(index, letters):
    assert column_letter(index) == letters
