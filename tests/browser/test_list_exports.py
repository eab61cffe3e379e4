"""The "Xuất Excel" button of a list exports what the page shows now: after the filter changed
through htmx (no page load), the download carries the new filter, and the workbook holds only
the rows the page lists."""

import io

import pytest
from django.contrib.auth import get_user_model
from openpyxl import load_workbook
from playwright.sync_api import expect

from agencies.demo import load_demo
from devices.choices import DeviceKind
from devices.services import device_register_stock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_export_follows_a_filter_changed_without_a_reload(as_user, live_server):
    load_demo()
    operator = get_user_model().objects.get(username="cuc.cts")
    for n in (1, 2, 3):
        device_register_stock(kind=DeviceKind.USB_TOKEN, serial=f"VT2612{n:04d}", by=operator)
    page = as_user("cuc.cts")
    page.goto(f"{live_server.url}/thiet-bi/")
    expect(page.locator("#ket-qua")).to_contain_text("VT26120003")
    page.evaluate("window.portalNotReloaded = true")

    page.get_by_label("Số hiệu, ICCID, số điện thoại hoặc tên thuê bao").fill("VT26120002")
    page.get_by_role("button", name="Lọc").click()
    expect(page.locator("#ket-qua")).not_to_contain_text("VT26120003")
    assert page.evaluate("window.portalNotReloaded === true")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Xuất Excel").click()
    download = download_info.value
    assert "q=VT26120002" in download.url
    sheet = load_workbook(io.BytesIO(download.path().read_bytes())).active
    cells = {value for row in sheet.iter_rows(values_only=True) for value in row}
    assert "VT26120002" in cells
    assert "VT26120003" not in cells and "VT26120001" not in cells
