"""A head who signs with their own token, in a real Chromium (docs/domain.md §9): the letter's
page offers the unsigned PDF under a short ASCII name, a file that is not the signed letter is
refused beside the file field, and the signed one sends the letter to the Sở KH&CN.

Screenshots: var/screenshots/signed-upload-1-refused.png and signed-upload-2-accepted.png.
"""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from playwright.sync_api import expect

from requests_app.choices import Status
from tests.requests_app.signed_letters import (
    head_signing_pair,
    issued_external,
    rendered,
    signed_by,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_elsewhere(pdf: bytes, pair, cast) -> bytes:
    """The head's token, in a thread of its own: pyHanko runs an event loop, which it may not
    in the test's thread, where Playwright's runs."""
    try:
        return signed_by(pdf, pair, cast)
    finally:
        connection.close()


def test_the_head_downloads_the_unsigned_pdf_and_uploads_the_signed_one(
    cast, ca, page, live_server, screenshot, tmp_path
):
    letter = issued_external(cast)
    pair = head_signing_pair(cast)
    page.goto(f"{live_server.url}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill("head_a")
    page.get_by_label("Mật khẩu").fill("mat-khau-thu-nghiem")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/van-ban/{letter.pk}/")

    with page.expect_download() as download:
        page.get_by_role("link", name="Tải bản PDF chưa ký").click()
    name = download.value.suggested_filename
    assert name.isascii() and len(name) <= 50 and name.endswith("_v1.pdf")
    unsigned = tmp_path / name
    download.value.save_as(unsigned)
    assert unsigned.read_bytes() == rendered(letter)

    wrong = tmp_path / "anh.pdf"
    wrong.write_bytes(b"GIF89a")
    page.locator("[data-signed-upload] input[name=file]").set_input_files(str(wrong))
    page.get_by_role("button", name="Tải lên bản đã ký").click()
    expect(page.locator(".field-error")).to_have_text("Tệp tải lên không phải là tệp PDF.")
    screenshot(page, "signed-upload-1-refused")

    signed = tmp_path / "da_ky.pdf"
    with ThreadPoolExecutor(1) as pool:
        pdf = pool.submit(sign_elsewhere, unsigned.read_bytes(), pair, cast).result()
    signed.write_bytes(pdf)
    page.locator("[data-signed-upload] input[name=file]").set_input_files(str(signed))
    page.get_by_role("button", name="Tải lên bản đã ký").click()
    page.wait_for_url(f"{live_server.url}/van-ban/{letter.pk}/")
    expect(page.locator(".messages")).to_contain_text("Đã nhận bản đã ký số")
    expect(page.locator("[data-status]")).to_have_attribute("data-status", Status.PROVINCE_REVIEW)
    expect(page.locator("[data-signed-upload]")).to_have_count(0)
    screenshot(page, "signed-upload-2-accepted")
