"""A letter (Mẫu 01–06) as a Word file: the same template as its PDF, every field and diacritic
in NFC, the NĐ 30 page (A4, margins, landscape for the wide forms), the table's header rows
repeated on every page, the page number from page 2; at every status (a draft has no number);
downloads scoped like the letter (persona by persona: test_letter_download_scopes.py)."""

import unicodedata

import pytest
from django.urls import reverse

from requests_app.choices import FormKind, Status
from requests_app.models import CertRequest
from requests_app.word import letter_docx
from tests.docx_reading import (
    docx_text,
    field_codes,
    header_rows,
    open_docx,
    paragraphs,
    runs_with,
    shows,
)
from tests.helpers import sign_in
from tests.requests_app.document_letters import ALL_FORMS, HEADER, issued_letter
from tests.requests_app.letters import letter_at

pytestmark = pytest.mark.django_db

WIDE = {FormKind.ISSUE_PERSON, FormKind.ISSUE_DEVICE, FormKind.REVOKE}
HEADER_ROW_COUNT = {
    FormKind.ISSUE_PERSON: 2,
    FormKind.ISSUE_ORGANIZATION: 2,
    FormKind.ISSUE_DEVICE: 2,
    FormKind.RENEW_CHANGE: 3,
    FormKind.REVOKE: 2,
    FormKind.RECOVER_DEVICE: 3,
}


def _mm(length) -> float:
    return length / 36000


@pytest.mark.parametrize("form", ALL_FORMS)
def test_each_letter_docx_has_every_field_and_diacritic_in_nfc(cast, form):
    letter, shown = issued_letter(cast, form)
    document = open_docx(letter_docx(letter))
    text = docx_text(document)
    assert unicodedata.is_normalized("NFC", text)
    expected = [*HEADER, f"Số: {letter.number}", "Nguyễn Thị Thu Hà", "0912100101", *shown]
    if form in (FormKind.RENEW_CHANGE, FormKind.RECOVER_DEVICE):
        expected.append("Kính gửi: Sở Khoa học và Công nghệ Tỉnh Lai Châu.")
    else:
        expected += [
            "ha@laichau.gov.vn",
            "Phường Đông Phong, tỉnh Lai Châu",
            "Kính gửi: Cục Chứng thực số và Bảo mật thông tin, Ban Cơ yếu Chính phủ.",
        ]
    assert [value for value in expected if not shows(text, value)] == []


@pytest.mark.parametrize("form", ALL_FORMS)
def test_each_letter_docx_is_an_a4_page_with_nd30_margins_in_the_pdfs_orientation(cast, form):
    letter, _ = issued_letter(cast, form)
    section = open_docx(letter_docx(letter)).sections[0]
    size = (round(_mm(section.page_width)), round(_mm(section.page_height)))
    assert size == ((297, 210) if form in WIDE else (210, 297))
    assert section.orientation == (1 if form in WIDE else 0)  # WD_ORIENT.LANDSCAPE / PORTRAIT
    assert 20 <= round(_mm(section.top_margin)) <= 25
    assert 20 <= round(_mm(section.bottom_margin)) <= 25
    assert 30 <= round(_mm(section.left_margin)) <= 35
    assert 15 <= round(_mm(section.right_margin)) <= 20


@pytest.mark.parametrize("form", ALL_FORMS)
def test_each_letter_docx_repeats_the_tables_header_rows_and_only_those(cast, form):
    letter, _ = issued_letter(cast, form)
    document = open_docx(letter_docx(letter))
    table = next(t for t in document.tables if t.cell(0, 0).text == "STT")
    count = HEADER_ROW_COUNT[form]
    assert header_rows(table) == [True] * count + [False] * (len(table.rows) - count)
    assert table.cell(count - 1, 0).text == "(1)"  # the column-number row is part of the header
    assert len(table.rows) == count + 1


def test_the_page_number_is_a_field_shown_from_the_second_page(cast):
    letter, _ = issued_letter(cast, FormKind.ISSUE_ORGANIZATION)
    section = open_docx(letter_docx(letter)).sections[0]
    assert section.different_first_page_header_footer
    references = section._sectPr.xpath("w:headerReference/@w:type")
    assert sorted(references) == ["default", "first"]
    assert field_codes(section.header._element) == ["PAGE"]
    assert field_codes(section.first_page_header._element) == []


def test_the_letter_is_times_new_roman_13_with_the_headers_sizes_and_emphasis(cast):
    letter, _ = issued_letter(cast, FormKind.ISSUE_ORGANIZATION)
    document = open_docx(letter_docx(letter))
    normal = document.styles["Normal"]
    assert (normal.font.name, normal.font.size.pt) == ("Times New Roman", 13)
    (motto,) = runs_with(document, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    (slogan,) = runs_with(document, "Độc lập - Tự do - Hạnh phúc")
    (day,) = runs_with(document, "Lai Châu, ngày 05 tháng 02 năm 2026")
    assert (motto.bold, motto.font.size.pt) == (True, 12.5)  # as in static/css/pdf.css
    assert (slogan.bold, slogan.font.size.pt) == (True, 13.5)
    assert (day.italic, day.font.size.pt) == (True, 13.5)
    (agency,) = runs_with(document, "SỞ TÀI CHÍNH")
    assert agency.bold
    centred = {p.text: p.alignment for p in paragraphs(document)}
    assert centred["Độc lập - Tự do - Hạnh phúc"] == 1  # WD_ALIGN_PARAGRAPH.CENTER


def test_the_header_is_a_borderless_two_column_table_with_the_short_rules(cast):
    letter, _ = issued_letter(cast, FormKind.ISSUE_ORGANIZATION)
    document = open_docx(letter_docx(letter))
    header = document.tables[0]
    assert len(header.columns) == 2 and header.style.name != "Table Grid"
    rules = [
        p for cell in header.rows[0].cells for p in cell.paragraphs
        if p._p.pPr is not None and p._p.pPr.find(
            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}pBdr") is not None
    ]  # fmt: skip
    assert len(rules) == 2
    assert all(p.paragraph_format.left_indent > 0 for p in rules)  # short, not the full width


def test_a_draft_docx_has_no_number_and_an_open_date_line(cast):
    letter = letter_at(cast, Status.DRAFT, FormKind.ISSUE_ORGANIZATION)
    text = docx_text(open_docx(letter_docx(letter)))
    assert "Số: \n" in text + "\n" or text.split("Số:")[1].split("\n")[0].strip() == ""
    assert "Lai Châu, ngày …… tháng …… năm" in text
    assert "Kính gửi: Cục Chứng thực số và Bảo mật thông tin" in text


# What PostgreSQL can hold (no NUL, no lone surrogate: tests/portal/test_docx.py has those).
HOSTILE = 'Lê\x01Văn\x07\x1b<script>alert(1)</script>\x9b & "An" \x0b'
LONG = ("Nguyễn " * 40)[:254] + "Z"  # as long as the columns hold (10 000: tests/portal)


def test_hostile_values_give_a_valid_docx_in_nfc(cast):
    letter, _ = issued_letter(cast, FormKind.ISSUE_PERSON)
    decomposed = unicodedata.normalize("NFD", "Trần Thị Hằng")
    CertRequest.objects.filter(pk=letter.pk).update(
        contact_name=HOSTILE, contact_agency=LONG, delivery_address=decomposed
    )
    letter.rows.update(full_name=HOSTILE, work_agency=LONG)
    letter.refresh_from_db()
    document = open_docx(letter_docx(letter))
    text = docx_text(document)
    assert 'LêVăn<script>alert(1)</script> & "An"' in text
    assert "Trần Thị Hằng" in text and decomposed not in text
    assert LONG in text
    assert not any(ord(c) < 32 and c not in "\t\n" for c in text)


@pytest.mark.parametrize(("persona", "status"), [("clerk_a", 200), ("officer_1", 404)])
def test_a_draft_docx_is_for_its_agency_only(cast, client, persona, status):
    letter = letter_at(cast, Status.DRAFT, FormKind.ISSUE_PERSON)
    sign_in(client, getattr(cast, persona))
    response = client.get(reverse("requests_app:docx", args=[letter.pk]))
    assert response.status_code == status


def test_anonymous_is_sent_to_sign_in(cast, client):
    letter = letter_at(cast, Status.DRAFT, FormKind.ISSUE_PERSON)
    response = client.get(reverse("requests_app:docx", args=[letter.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_docx_name_is_ascii_without_diacritics_and_at_most_50_characters(cast, client):
    letter = letter_at(cast, Status.PROVINCE_REVIEW, FormKind.ISSUE_ORGANIZATION)
    sign_in(client, cast.clerk_a)
    response = client.get(reverse("requests_app:docx", args=[letter.pk]))
    name = response["Content-Disposition"].split('filename="')[1].rstrip('"')
    assert name.isascii() and len(name) <= 50 and name.endswith(".docx")
    assert name.startswith("Mau02_") and "/" not in name


def test_the_letter_page_offers_the_docx(cast, client):
    letter = letter_at(cast, Status.DRAFT, FormKind.ISSUE_PERSON)
    sign_in(client, cast.clerk_a)
    page = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()
    assert reverse("requests_app:docx", args=[letter.pk]) in page
    assert "Tải bản Word (.docx)" in page
