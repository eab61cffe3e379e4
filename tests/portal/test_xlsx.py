"""The one Excel reader: refusals of unusable files, streaming rows, cleaned cell values."""

import io
import unicodedata
from contextlib import closing
from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from portal.lib import xlsx
from tests import factories


def workbook_file(lines, name="tep.xlsx"):
    workbook = Workbook()
    for line in lines:
        workbook.active.append(line)
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def test_it_gives_each_line_with_its_excel_number_and_cleaned_values():
    decomposed = unicodedata.normalize("NFD", "Lò Văn  Một\n")
    upload = workbook_file([["STT", "Họ tên"], [1, decomposed], [2, "   "]])
    with closing(xlsx.read_rows(upload)) as rows:
        lines = list(rows)
    assert lines == [(1, ["STT", "Họ tên"]), (2, [1, "Lò Văn Một"]), (3, [2, None])]


@pytest.mark.parametrize(
    "cached",
    [None, {"B2": "STT", "C2": 912345678, "E2": "Lò Văn Một"}],
    ids=["without-cached-values", "with-cached-values"],
)
def test_a_formula_in_any_column_is_refused_naming_its_cell_and_formula(cached):
    upload = factories.xlsx_upload(
        [
            ["STT", "Chức vụ", "Điện thoại", "Ghi chú", "Họ tên"],
            [1, "=A1", "=912345000+678", "Chuyên viên", '=PROPER("lò văn một")'],
        ],
        cached=cached,
    )

    with closing(xlsx.read_rows(upload)) as rows:
        lines = dict(rows)

    assert lines[2] == [1, None, None, "Chuyên viên", None]
    assert lines[2].flaws.keys() == {2, 3, 5}
    assert lines[2].flaws[2].startswith("Cột 2, ô B2: ô chứa công thức (=A1), không phải giá trị")
    assert "ô C2" in lines[2].flaws[3] and "(=912345000+678)" in lines[2].flaws[3]
    assert "ô E2" in lines[2].flaws[5] and '=PROPER("lò văn một")' in lines[2].flaws[5]
    assert lines[2].problems == [lines[2].flaws[c] for c in (2, 3, 5)]


def test_numbers_and_dates_stay_as_excel_stored_them():
    upload = workbook_file([[912345678, 1.5, datetime(2026, 3, 5), True]])
    assert list(xlsx.read_rows(upload)) == [(1, [912345678, 1.5, datetime(2026, 3, 5), True])]


def test_it_stops_after_a_long_run_of_empty_lines():
    blank = [[None, " "]] * xlsx.MAX_BLANK_RUN
    upload = workbook_file([["A"], *blank, ["after the gap"]])
    lines = list(xlsx.read_rows(upload))
    assert lines[0] == (1, ["A", None])  # read-only rows are as wide as the sheet
    assert len(lines) == xlsx.MAX_BLANK_RUN  # the last blank line ends the reading


def test_max_col_limits_the_width_read():
    upload = workbook_file([["a", "b", "c", "d"]])
    assert list(xlsx.read_rows(upload, max_col=2)) == [(1, ["a", "b"])]


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("tep.xls", b"PK..."), "Chỉ nhận tệp Excel .xlsx"),
        (SimpleUploadedFile("tep.xlsx", b"not a zip"), "không phải là tệp Excel"),
        (SimpleUploadedFile("tep.xlsx", b"PK not really a zip"), "bị hỏng"),
    ],
)
def test_an_unusable_file_is_refused_before_any_row(upload, message):
    with pytest.raises(xlsx.XlsxRefused, match=message):
        xlsx.read_rows(upload)


def test_a_file_over_the_size_limit_is_refused_without_being_read():
    upload = SimpleUploadedFile("tep.xlsx", b"PK" + b"0" * 2 * 1024 * 1024)
    with pytest.raises(xlsx.XlsxRefused, match=r"Tệp quá lớn \(2.0 MB\): tối đa 1 MB"):
        xlsx.read_rows(upload, max_bytes=1024 * 1024)
