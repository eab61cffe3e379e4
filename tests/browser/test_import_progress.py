"""A clerk's Excel import in a real Chromium (docs/processing.md §4.7): the upload lands on
the job's page with its progress bar, a real Celery worker on Redis reads the 300 rows, htmx's
polling brings the preview in without a click; the confirmation queues the save, the page
follows the worker again and lands on the letter with its rows.

Screenshots: var/screenshots/import-1-progress.png, import-2-preview.png, import-3-saving.png.
"""

import re

import pytest
from playwright.sync_api import expect

from portal.models import ImportJob
from tests.factories import letter_draft, mau01_people_upload
from tests.helpers import running_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_progress_page_turns_into_the_preview_by_itself(
    redis_app, cast, page, live_server, screenshot, tmp_path
):
    cert_request = letter_draft(cast)
    sheet = tmp_path / "danh-sach.xlsx"
    sheet.write_bytes(mau01_people_upload(300).read())
    page.goto(f"{live_server.url}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill("clerk_a")
    page.get_by_label("Mật khẩu").fill("mat-khau-thu-nghiem")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/van-ban/{cert_request.pk}/nhap-excel/")
    page.locator("input[name=file]").set_input_files(str(sheet))
    page.get_by_role("button", name="Tải lên và kiểm tra").click()
    page.wait_for_url(re.compile(rf".*/van-ban/{cert_request.pk}/nhap-excel/\d+/$"))
    expect(page.locator("#import-progress")).to_be_visible()
    expect(page.locator("#import-progress")).to_have_attribute("data-status", "queued")
    expect(page.locator("#import-progress progress")).to_be_visible()
    screenshot(page, "import-1-progress")

    with running_worker(redis_app):
        expect(page.get_by_role("button", name="Xác nhận thêm 300 dòng hợp lệ")).to_be_visible(
            timeout=90_000
        )
    screenshot(page, "import-2-preview")
    assert ImportJob.objects.get().status == ImportJob.Status.READY

    # The confirmation only queues the save: the page follows the worker again, then goes to
    # the letter by itself.
    page.get_by_role("button", name="Xác nhận thêm 300 dòng hợp lệ").click()
    expect(page.locator("#import-progress")).to_have_attribute("data-status", "confirming")
    assert not cert_request.rows.exists()
    screenshot(page, "import-3-saving")
    with running_worker(redis_app):
        page.wait_for_url(re.compile(rf".*/van-ban/{cert_request.pk}/soan/$"), timeout=90_000)
    expect(page.get_by_text("Đã thêm 300 dòng từ tệp Excel.")).to_be_visible()
    assert cert_request.rows.count() == 300
    assert ImportJob.objects.get().status == ImportJob.Status.CONFIRMED
