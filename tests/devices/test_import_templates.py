"""The blank workbook offered next to the CA's stock import: its headers are exactly what the
importer reads, proven by filling one valid row and importing it through the real import."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from devices.models import Device
from tests.export_reading import export_bytes
from tests.helpers import sign_in, stock_upload

pytestmark = pytest.mark.django_db
TEMPLATE = reverse("devices:stock_template")


def test_a_filled_stock_template_imports_one_sim(cast, client):
    sign_in(client, cast.ca_operator)
    book = load_workbook(io.BytesIO(export_bytes(client.get(TEMPLATE))))
    sheet = book.active
    assert [c.value for c in sheet[1]] == [
        "Loại thiết bị", "Số hiệu", "ICCID", "Số điện thoại", "Nhà mạng",
    ]  # fmt: skip
    line = ["SIM", None, "8984048000123456789", "0912345678", "Viettel"]
    for column, value in enumerate(line, start=1):  # the line under the headers, as a user
        sheet.cell(row=2, column=column, value=value)
    out = io.BytesIO()
    book.save(out)
    upload = SimpleUploadedFile("kho.xlsx", out.getvalue())

    preview = stock_upload(client, upload)
    job = preview.context["job"]
    assert not job.result.get("problems") and not job.result.get("file_problems")
    client.post(reverse("devices:stock_import_confirm", args=[job.pk]))
    device = Device.objects.get()
    assert (device.iccid, device.phone) == ("8984048000123456789", "0912345678")


def test_the_stock_import_page_links_the_template(cast, client):
    sign_in(client, cast.ca_operator)
    assert TEMPLATE in client.get(reverse("devices:stock_import")).content.decode()


def test_only_the_ca_gets_the_stock_template(cast, client):
    sign_in(client, cast.clerk_a)
    assert client.get(TEMPLATE).status_code == 403
