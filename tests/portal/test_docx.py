"""portal.lib.docx on its own: what the document templates' HTML becomes in Word, and input no
XML part can hold (NUL, control characters, lone surrogates) removed instead of corrupting the
file."""

import unicodedata

from portal.lib.docx import clean_text, render_docx
from tests.docx_reading import docx_text, header_rows, open_docx

NASTY = "A\x00B\x08C\x0bD\x1fE\x7fF\x85G\ud800H\ufffeI\tJ"


def test_clean_text_keeps_tabs_and_line_ends_and_drops_what_xml_cannot_hold():
    assert clean_text(NASTY) == "ABCDEFGHI\tJ"
    assert clean_text("\r\n") == "\r\n"


def test_clean_text_is_nfc():
    decomposed = unicodedata.normalize("NFD", "Hoàng Thị Ngọc Ánh")
    assert clean_text(decomposed) == "Hoàng Thị Ngọc Ánh"


def _letter_context(value: str) -> dict:
    """The context of the Mẫu 02 template, as plain dicts, with `value` in every field."""
    return {
        "document_title": value,
        "header": {"superior": value, "agency_name": value, "number": value, "subject": value,
                   "date_line": value},
        "letter": {"contact_name": value, "contact_email": value},
        "agency_name": value,
        "addressee": value,
        "addressee_short": value,
        "quantity": value,
        "doc_rows": [{"position": 1, "row": {"organization_name": value, "address": value}}],
        "signer_name": value,
    }  # fmt: skip


def test_a_template_filled_with_hostile_text_still_gives_a_valid_docx():
    hostile = NASTY + "<script>alert('x')</script>]]><w:p/>" + "đ" * 10_000
    document = open_docx(render_docx("requests_app/pdf/mau_02.html", _letter_context(hostile)))
    text = docx_text(document)
    assert "ABCDEFGHI" in text
    assert "<script>alert('x')</script>]]><w:p/>" in text
    assert "đ" * 10_000 in text
    assert document.core_properties.title.startswith("ABCDEFGHI")


def test_rowspan_and_colspan_become_merged_cells_in_the_right_columns():
    context = _letter_context("x")
    document = open_docx(render_docx("requests_app/pdf/mau_04.html", context))
    table = next(t for t in document.tables if t.cell(0, 0).text == "STT")
    assert len(table.columns) == 8
    assert table.cell(0, 0)._tc is table.cell(1, 0)._tc  # STT spans two rows
    assert table.cell(0, 6)._tc is table.cell(0, 7)._tc  # "Dịch vụ yêu cầu" spans two columns
    assert (table.cell(1, 6).text, table.cell(1, 7).text) == ("Gia hạn", "Thay đổi thông tin")
    assert [c.text for c in table.rows[2].cells] == [f"({n})" for n in range(1, 9)]
    assert header_rows(table) == [True, True, True, False]


def test_column_widths_follow_the_templates_width_classes():
    document = open_docx(render_docx("requests_app/pdf/mau_04.html", _letter_context("x")))
    table = next(t for t in document.tables if t.cell(0, 0).text == "STT")
    widths = [column.width for column in table.columns]
    shares = [round(100 * w / sum(widths)) for w in widths]
    # w5 w15 w22 w15 w12 w12, then the two w9 under "Dịch vụ yêu cầu" (sum 99 → rounded shares)
    assert shares == [5, 15, 22, 15, 12, 12, 9, 9]
    text_width_mm = 210 - 30 - 15
    assert abs(sum(widths) / 36000 - text_width_mm) < 1
