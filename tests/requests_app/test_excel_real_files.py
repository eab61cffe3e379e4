"""The letters' import against what real spreadsheet programs write, not only what openpyxl
writes: files made by LibreOffice Calc from a CSV and from an ODS sheet
(tests/requests_app/fixtures/xlsx/README.md says how), and openpyxl's own (inline strings,
formulas without a computed value). Shared strings, inline strings, numbers stored as text, dates
as serials with a date format, formulas (refused, cached value or not), a formula's error; the ID cell
with separators inside the number, text-prefix quotes before a name, formulas where a name
should be."""

from datetime import date
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.lib.xlsx import read_rows
from requests_app.excel import MAU01_HEADERS
from tests.factories import letter_draft, xlsx_upload
from tests.helpers import excel_upload, import_report, sign_in

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "xlsx"
HEADER = [title for title, _fragments in MAU01_HEADERS]
NAME, ID_CELL, BIRTH = HEADER[1], HEADER[3], HEADER[2]
EMAIL, POSITION, PHONE = HEADER[4], HEADER[7], HEADER[8]


def _fixture(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (FIXTURES / name).read_bytes())


def _preview(client, cast, upload):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    response = excel_upload(client, cert_request, upload)
    job = response.context["job"]
    assert job.status == "ready", job.error
    good = {row["line"]: row["data"] for row in job.result["good"]}
    return good, import_report(response)


def _person(line: int, name: str, id_cell, **cells) -> list:
    values = [line - 1, name, cells.get("birth", "05/03/1990"), id_cell]
    values += [f"nguoi{line}@laichau.gov.vn", "Sở Tài chính tỉnh Lai Châu", "Lai Châu"]
    values += ["Chuyên viên", cells.get("phone", f"09123456{line:02d}"), None, None]
    return values


# --- LibreOffice Calc: a CSV opened with the Vietnamese locale and saved as .xlsx --------------
def test_a_libreoffice_file_from_a_csv_reads_each_cell_as_the_clerk_typed_it(client, cast):
    good, problems = _preview(client, cast, _fixture("libreoffice-csv.xlsx"))
    # Line 2: the ID written in groups; the date of birth a serial with a date format;
    # the phone a number (its 0 put back).
    assert good[2]["national_id"] == "001090001234"
    assert (good[2]["date_of_birth"], good[2]["id_issue_date"]) == ("1990-03-05", "2021-07-01")
    assert (good[2]["id_issue_place"], good[2]["mobile"]) == ("CCSQLHCVTTXH", "0912345601")
    # Line 3: Excel's text prefix left in the cell by the CSV; the ID written with hyphens.
    assert good[3]["full_name"] == "Lò Thị Bình"
    assert good[3]["national_id"] == "001090005678" and good[3]["mobile"] == "0912345602"
    assert set(good) == {2, 3}


def test_a_libreoffice_file_from_a_csv_refuses_its_bad_cells_on_their_rows(client, cast):
    _good, problems = _preview(client, cast, _fixture("libreoffice-csv.xlsx"))
    assert set(problems) == {4, 5, 6, 7}
    # Line 4: LibreOffice ran =HYPERLINK(…): a formula, with its link text cached.
    assert [column for column, _m in problems[4]] == [NAME]
    assert "công thức" in problems[4][0][1] and "HYPERLINK" in problems[4][0][1]
    # Line 5: a typographic quote before the name is dropped; the 12-digit ID lost its zeros
    # (a number cell of 10 digits) and is refused, never padded.
    assert all(column != NAME for column, _m in problems[5])
    assert any(column == ID_CELL and "1090003456" in m for column, m in problems[5])
    # Line 6: 11 digits written in groups: refused, not glued to the date.
    assert any(column == ID_CELL and "00109000789" in m for column, m in problems[6])
    # Line 7: "@SUM(1+1)" kept as text by LibreOffice: a formula-like name.
    assert any(column == NAME and "công thức" in m for column, m in problems[7])


# --- LibreOffice Calc: an ODS sheet with formulas, saved as .xlsx ------------------------------
def test_every_formula_is_refused_with_its_cell_whatever_value_it_caches(client, cast):
    good, problems = _preview(client, cast, _fixture("libreoffice-formulas.xlsx"))
    assert not good
    # Line 3: the ID cell made by a formula (LibreOffice cached its text): refused, not read.
    assert [c for c, _m in problems[3]] == [ID_CELL]
    assert "ô D3" in problems[3][0][1] and "công thức" in problems[3][0][1]
    # Line 4: the phone a formula whose cached value is a number.
    assert [c for c, _m in problems[4]] == [PHONE]
    assert "ô I4" in problems[4][0][1] and "(=912345000+603)" in problems[4][0][1]
    # Lines 2 and 6: a name computed by =PROPER(…) or =HYPERLINK(…) is refused as a formula.
    assert [c for c, _m in problems[2]] == [NAME] and "PROPER" in problems[2][0][1]
    assert [c for c, _m in problems[6]] == [NAME] and "HYPERLINK" in problems[6][0][1]
    # Line 5: a formula's error (#DIV/0!) in the date of birth, said as such.
    assert [c for c, _m in problems[5]] == [BIRTH] and "#DIV/0!" in problems[5][0][1]


def test_the_reader_sees_shared_strings_serial_dates_and_formulas_of_libreoffice():
    with open(FIXTURES / "libreoffice-formulas.xlsx", "rb") as handle:
        upload = SimpleUploadedFile("f.xlsx", handle.read())
    lines = dict(read_rows(upload, max_col=11))
    assert lines[2][2] is not None and lines[2][2].date() == date(1990, 3, 5)
    assert lines[2][3] == "001090001234 / 01/07/2021, CCSQLHCVTTXH"  # a shared string
    assert lines[3][3] is None and lines[3].flaws.keys() == {4}  # a formula's text
    assert lines[3][3 - 1] == "06/04/1991"  # a date typed as text stays text
    assert lines[4][8] is None and "=912345000+603" in lines[4].flaws[9]
    assert lines[5][2] is None and lines[5].flaws.keys() == {3}


@pytest.mark.parametrize("cached", [False, True], ids=["without-cached-value", "cached-value"])
def test_a_formula_in_a_data_column_is_refused_not_stored_as_its_value(client, cast, cached):
    # "=A1" in the position column: Excel caches the header's "STT", which was stored.
    lines = [
        HEADER,
        _person(2, "Lò Văn An", "001090001234 / 01/07/2021, CCSQLHCVTTXH"),
        _person(3, "Lò Văn Bình", "001090005678 / 01/07/2021, CCSQLHCVTTXH"),
        _person(4, "Lò Văn Cường", "001090009012 / 01/07/2021, CCSQLHCVTTXH"),
    ]
    lines[1][7] = "=A1"
    lines[2][8] = "=912345000+602"
    lines[3][4] = '=CONCATENATE("nguoi4","@laichau.gov.vn")'
    values = {"H2": "STT", "I3": 912345602, "E4": "nguoi4@laichau.gov.vn"}
    upload = xlsx_upload(lines, cached=values if cached else None)

    good, problems = _preview(client, cast, upload)

    assert not good
    assert [c for c, _m in problems[2]] == [POSITION]
    assert "ô H2" in problems[2][0][1] and "(=A1)" in problems[2][0][1]
    assert [c for c, _m in problems[3]] == [PHONE] and "ô I3" in problems[3][0][1]
    assert [c for c, _m in problems[4]] == [EMAIL] and "CONCATENATE" in problems[4][0][1]


# --- openpyxl and scripts: inline strings, formulas never computed ----------------------------
def test_a_formula_without_a_computed_value_is_reported_as_a_formula_not_as_missing(client, cast):
    lines = [
        HEADER,
        _person(2, "=B3", "001090001234 / 01/07/2021, CCSQLHCVTTXH"),
        _person(3, "Lò Văn Bình", '=CONCATENATE("0010","90005678")'),
        _person(4, "Lò Văn Cường", "001090009012 / 01/07/2021, CCSQLHCVTTXH", birth="=TODAY()"),
    ]
    _good, problems = _preview(client, cast, xlsx_upload(lines))
    assert [c for c, _m in problems[2]] == [NAME]
    assert [c for c, _m in problems[3]] == [ID_CELL]
    assert [c for c, _m in problems[4]] == [BIRTH]
    for line in (2, 3, 4):
        message = problems[line][0][1]
        assert "công thức" in message and "bắt buộc" not in message


@pytest.mark.parametrize(
    "name",
    [
        '=HYPERLINK("http://example.invalid/x","Bấm vào đây")',
        "+Nguyễn Văn A",
        "-Nguyễn Văn A",
        "@SUM(A1:A2)",
        '\'=HYPERLINK("http://example.invalid/x")',
    ],
    ids=["equals-hyperlink", "plus", "minus", "at", "apostrophe-equals"],
)
def test_a_formula_like_value_is_refused_as_a_persons_name(client, cast, name):
    lines = [HEADER, _person(2, name, "001090001234 / 01/07/2021, CCSQLHCVTTXH")]
    good, problems = _preview(client, cast, xlsx_upload(lines))
    assert not good
    assert [c for c, _m in problems[2]] == [NAME]
    assert "công thức" in problems[2][0][1]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("0010 9000 1234 / 01/07/2021, CCSQLHCVTTXH", "001090001234"),
        ("001-090-001234 / 01/07/2021, CCSQLHCVTTXH", "001090001234"),
        ("001.090.001234 - 01-07-2021 - CCSQLHCVTTXH", "001090001234"),
        ("001 090 001 234\n01/07/2021\nCCSQLHCVTTXH", "001090001234"),
    ],
)
def test_separators_inside_the_id_of_the_combined_cell_are_read_as_one_id(
    client, cast, cell, expected
):
    good, problems = _preview(client, cast, xlsx_upload([HEADER, _person(2, "Lò Văn An", cell)]))
    assert problems == {}
    assert good[2]["national_id"] == expected
    assert (good[2]["id_issue_date"], good[2]["id_issue_place"]) == ("2021-07-01", "CCSQLHCVTTXH")


@pytest.mark.parametrize(
    "name", ["'Lò Văn An", "\u2018Lò Văn An", "\u2019Lò Văn An", "`Lò Văn An", "\uff07Lò Văn An"]
)
def test_a_text_prefix_quote_is_dropped_from_a_name(client, cast, name):
    lines = [HEADER, _person(2, name, "001090001234 / 01/07/2021, CCSQLHCVTTXH")]
    good, problems = _preview(client, cast, xlsx_upload(lines))
    assert problems == {}
    assert good[2]["full_name"] == "Lò Văn An"
