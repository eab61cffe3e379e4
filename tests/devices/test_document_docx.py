"""The Mẫu 07, 08 and 09 documents as Word files: the same templates as their PDFs, every field
and diacritic in NFC, A4 portrait with the NĐ 30 margins, the Mẫu 07/08 table header repeated on
every page, the page number from page 2; downloads scoped like the pages."""

import unicodedata

import pytest
from django.urls import reverse

from devices.models import DeviceDocument, LossReport
from devices.word import device_document_docx
from portal.lib.docx import DOCX_CONTENT_TYPE
from tests.devices.document_builders import BUILDERS, HEADER, SHOWN
from tests.devices.helpers import send
from tests.docx_reading import docx_text, field_codes, header_rows, open_docx, shows
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db
URLS = {"07": "devices:notice_docx", "08": "devices:minutes_docx", "09": "devices:loss_docx"}


def _mm(length) -> float:
    return length / 36000


@pytest.mark.parametrize("form", ["07", "08", "09"])
def test_each_device_document_docx_has_every_field_and_diacritic_in_nfc(cast, token, form):
    document = BUILDERS[form](cast, token)
    content, name = device_document_docx(document)
    docx = open_docx(content)
    text = docx_text(docx)
    assert unicodedata.is_normalized("NFC", text)
    # Capitals are Word's (all caps, as CSS text-transform in the PDF): compare them folded.
    expected = [*HEADER, f"Số: {document.number}", *SHOWN[form]]
    missing = [v for v in expected if not shows(text, v) and not shows(text.upper(), v)]
    assert missing == []
    assert name.isascii() and len(name) <= 50 and name.startswith(f"Mau{form}_")


@pytest.mark.parametrize("form", ["07", "08", "09"])
def test_each_device_document_docx_is_a4_portrait_with_a_page_field_from_page_2(
    cast,
    token,
    form,
):
    section = open_docx(device_document_docx(BUILDERS[form](cast, token))[0]).sections[0]
    assert (round(_mm(section.page_width)), round(_mm(section.page_height))) == (210, 297)
    assert (round(_mm(section.top_margin)), round(_mm(section.left_margin))) == (20, 30)
    assert (round(_mm(section.bottom_margin)), round(_mm(section.right_margin))) == (20, 15)
    assert section.different_first_page_header_footer
    assert field_codes(section.header._element) == ["PAGE"]


@pytest.mark.parametrize("form", ["07", "08"])
def test_the_device_table_repeats_its_two_header_rows(cast, token, form):
    docx = open_docx(device_document_docx(BUILDERS[form](cast, token))[0])
    table = next(t for t in docx.tables if t.cell(0, 0).text == "STT")
    assert header_rows(table) == [True, True, False]
    assert table.cell(2, 3).text == "VT26000777"


def test_a_long_hostile_circumstance_still_gives_a_valid_docx(cast, token):
    report = BUILDERS["09"](cast, token)
    hostile = "Mất\x01 <script>alert(1)</script>\x0c\n" + "ư" * 1990
    LossReport.objects.filter(pk=report.pk).update(circumstances=hostile)
    report.refresh_from_db()
    text = docx_text(open_docx(device_document_docx(report)[0]))
    assert "Mất <script>alert(1)</script>" in text
    assert "ư" * 1990 in text


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("clerk_a", 200),
        ("head_a", 200),
        ("ca_operator", 200),
        ("clerk_b", 404),
        ("clerk_c", 404),
        ("officer_2", 404),
    ],
)
@pytest.mark.parametrize("form", ["07", "08", "09"])
def test_a_device_document_docx_downloads_only_within_its_scope(
    cast,
    client,
    token,
    persona,
    status,
    form,
):
    document = send(cast, BUILDERS[form](cast, token))  # the receiver sees it once sent
    sign_in(client, getattr(cast, persona))
    response = client.get(reverse(URLS[form], args=[document.pk]))
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == DOCX_CONTENT_TYPE
        file_name = response["Content-Disposition"].split('filename="')[1].rstrip('"')
        assert file_name.isascii() and len(file_name) <= 50 and file_name.endswith(".docx")
        assert document.number in docx_text(open_docx(response.content))
    assert not DeviceDocument.objects.exists()  # a Word file is never stored


def test_anonymous_is_sent_to_sign_in(cast, client, token):
    notice = BUILDERS["07"](cast, token)
    response = client.get(reverse("devices:notice_docx", args=[notice.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("form", ["07", "08", "09"])
def test_the_document_page_offers_the_docx(cast, client, token, form):
    document = BUILDERS[form](cast, token)
    sign_in(client, cast.clerk_a)
    detail = URLS[form].replace("_docx", "_detail")
    page = client.get(reverse(detail, args=[document.pk])).content.decode()
    assert reverse(URLS[form], args=[document.pk]) in page
    assert "Tải bản Word (.docx)" in page
