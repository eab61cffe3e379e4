"""Right after "Cấp số và ký", in a real Chromium (docs/domain.md §9): the letter's PDF is
rendered by a worker, so the head's page first shows a status instead of "Ký"; the status
polls itself (htmx) and the button appears, working, without the page being reloaded.

Screenshots: var/screenshots/signing-ready-1-pending.png, signing-ready-2-ready.png."""

import pytest
from playwright.sync_api import expect

from requests_app import services
from requests_app.choices import FormKind, Status
from tests.helpers import off_the_browser_loop
from tests.requests_app.letters import draft
from tests.requests_app.signed_letters import head_signing_pair

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_ky_button_appears_by_itself_once_the_pdf_is_rendered(
    cast, ca, page, live_server, screenshot
):
    head_signing_pair(cast)
    letter = draft(cast, FormKind.ISSUE_ORGANIZATION)
    services.cert_request_submit(cert_request=letter, by=cast.clerk_a)
    services.cert_request_issue(cert_request=letter, by=cast.head_a)
    letter.refresh_from_db()
    assert letter.status == Status.ISSUED and not letter.documents.exists()  # no worker here

    page.goto(f"{live_server.url}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill("head_a")
    page.get_by_label("Mật khẩu").fill("mat-khau-thu-nghiem")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/van-ban/{letter.pk}/")
    expect(page.locator("[data-signing-pending]")).to_contain_text("trang tự cập nhật")
    expect(page.locator("[data-desk-sign]")).to_have_count(0)
    screenshot(page, "signing-ready-1-pending")
    page.evaluate("window.__sameDocument = true")

    # The worker's rendering, in-process.
    off_the_browser_loop(lambda: services.letter_document_render(cert_request_id=letter.pk))

    sign = page.locator("[data-desk-sign]")
    expect(sign).to_be_visible(timeout=15_000)  # shown by desk-signing.js once set up
    expect(page.locator("[data-signing-pending]")).to_have_count(0)
    expect(page.locator("[data-signed-upload]")).to_be_visible()
    expect(page.locator("#ban-pdf-dang-tao")).to_contain_text("đã được tạo")
    assert page.evaluate("window.__sameDocument") is True  # not reloaded
    screenshot(page, "signing-ready-2-ready")
