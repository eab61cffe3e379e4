"""Excel export of a letter: the CA's sheet for Mẫu 01, masked by default; with full values
(docs/privacy.md, "Exports, API and documents") it imports back unchanged."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from requests_app import excel, services
from requests_app.choices import FormKind, SimCarrier
from tests.factories import LETTER_CONTACT, letter_draft, letter_row_add
from tests.helpers import excel_confirm, excel_upload, sign_in

pytestmark = pytest.mark.django_db


# --- export ---------------------------------------------------------------------------------
def test_export_writes_the_ca_sheet_with_ids_and_phones_masked_as_text(client, cast):
    cert_request = letter_draft(cast)
    letter_row_add(
        cert_request,
        cast.clerk_a,
        work_agency="Phòng Ngân sách, Sở Tài chính",
        sim_carrier=SimCarrier.MOBIFONE,
        sim_keep_number=True,
    )
    sign_in(client, cast.head_a)  # whoever may see the letter may download it
    response = client.get(reverse("requests_app:export", args=[cert_request.pk]))
    assert response["Content-Type"] == excel.XLSX_CONTENT_TYPE
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, line = list(sheet.iter_rows(values_only=True))
    assert list(header) == [title for title, _ in excel.CA_HEADERS]
    assert line[1] == "Lò Thị Mai"
    assert line[2] == "**/**/1990"
    assert line[3] == "********1234"
    assert line[7:11] == ("Sở Tài chính", "Phòng Ngân sách", None, None)
    assert line[14] == "091****678"
    assert line[16:19] == ("Mobifone", "X", "SIM")


def test_a_sheet_exported_with_full_values_imports_back_unchanged(client, cast):
    source = letter_draft(cast)
    letter_row_add(source, cast.clerk_a, work_agency="Phòng Ngân sách, Sở Tài chính")
    sign_in(client, cast.clerk_a)
    exported = client.post(
        reverse("requests_app:export_full", args=[source.pk]), {"reason": "Sửa rồi nhập lại"}
    ).content
    target = services.cert_request_create(
        agency=cast.agency_a, form=FormKind.ISSUE_PERSON, by=cast.clerk_a, **LETTER_CONTACT
    )
    file = SimpleUploadedFile("xuat.xlsx", exported, content_type=excel.XLSX_CONTENT_TYPE)
    preview = excel_upload(client, target, file)
    assert preview.context["problems"] == []
    excel_confirm(client, target, preview.context["job"].pk)
    fields = [f for f in excel.FIELD_COLUMN[excel.LAYOUT_CA]]
    assert list(target.rows.values(*fields)) == list(source.rows.values(*fields))
