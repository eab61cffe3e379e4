"""The blank workbooks offered next to the letter import: their headers are exactly what the
importer accepts, proven by filling one valid row and importing it through the real import
(upload, the worker's parse, confirmation)."""

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from requests_app import excel
from tests.export_reading import export_bytes
from tests.factories import letter_draft
from tests.helpers import excel_confirm, excel_upload, import_report, sign_in

pytestmark = pytest.mark.django_db

MAU01_ROW = [
    1, "Lò Thị Mai", "05/03/1990", "012190001234 / 01/07/2021, CCSQLHCVTTXH",
    "mai@laichau.gov.vn", "Sở Tài chính tỉnh Lai Châu", "Lai Châu", "Chuyên viên",
    "0912345678", None, None,
]  # fmt: skip
CA_ROW = [
    1, "Lò Thị Mai", date(1990, 3, 5), "012190001234", "CCSQLHCVTTXH", "01/07/2021",
    "mai@laichau.gov.vn", "UBND tỉnh Lai Châu", "Sở Tài chính", None, None, "Lai Châu",
    "Lai Châu", "Chuyên viên", "0912345678", None, None, None, None,
]  # fmt: skip


def _filled(response, row) -> SimpleUploadedFile:
    book = load_workbook(io.BytesIO(export_bytes(response)))
    for column, value in enumerate(row, start=1):  # the line under the headers, as a user
        book.active.cell(row=2, column=column, value=value)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("mau.xlsx", out.getvalue(), content_type=excel.XLSX_CONTENT_TYPE)


@pytest.mark.parametrize(
    ("layout", "row", "headers"),
    [
        (excel.LAYOUT_MAU01, MAU01_ROW, excel.MAU01_HEADERS),
        (excel.LAYOUT_CA, CA_ROW, excel.CA_HEADERS),
    ],
)
def test_a_filled_blank_template_imports_one_row(cast, client, layout, row, headers):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    blank = client.get(reverse("requests_app:import_template", args=[layout]))
    sheet = load_workbook(io.BytesIO(export_bytes(blank))).active
    assert [cell.value for cell in sheet[1]] == [title for title, _fragments in headers]

    preview = excel_upload(client, cert_request, _filled(blank, row))
    assert preview.context["job"].result["layout"] == layout
    assert import_report(preview) == {}
    excel_confirm(client, cert_request, preview.context["job"].pk)
    imported = cert_request.rows.get()
    assert (imported.full_name, imported.national_id) == ("Lò Thị Mai", "012190001234")


def test_the_import_page_links_both_blank_templates(cast, client):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    page = client.get(reverse("requests_app:import", args=[cert_request.pk])).content.decode()
    for layout in (excel.LAYOUT_MAU01, excel.LAYOUT_CA):
        assert reverse("requests_app:import_template", args=[layout]) in page


def test_an_unknown_template_is_404(cast, client):
    sign_in(client, cast.clerk_a)
    assert client.get(reverse("requests_app:import_template", args=["x"])).status_code == 404
