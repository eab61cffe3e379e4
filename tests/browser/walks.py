"""Steps the browser walks share (tests/browser/test_*_walk.py)."""

from playwright.sync_api import Page, expect

from agencies.demo import DEMO_PASSWORD
from portal.documents import DocumentKind
from requests_app.choices import Status
from tests.certificates.pdf_tools import pdfsig_sections
from tests.helpers import totp_code


def approve_from_the_queue(approver: Page, approval_id: int, user) -> None:
    """`user`, signed in on `approver`, opens the approval queue, then the pending request
    `approval_id`, and approves it with the demo password and a code typed again
    (docs/approvals.md). Leaves the page on the decision's message."""
    approver.get_by_role("link", name="Phê duyệt").first.click()
    approver.get_by_role("link", name=str(approval_id), exact=True).click()
    expect(approver.locator("#approval-status")).to_have_attribute("data-status", "pending")
    approver.get_by_label("Nhập lại mật khẩu để xác nhận").first.fill(DEMO_PASSWORD)
    approver.get_by_label("Mã xác thực 6 chữ số").first.fill(totp_code(user))
    approver.get_by_role("button", name="Phê duyệt", exact=True).click()
    expect(approver.locator(".messages")).to_contain_text("Đã phê duyệt")


def sign_in_with(page: Page, live_server, username: str, password: str) -> None:
    """`username` signs in with `password` (an account without a second factor)."""
    page.goto(f"{live_server.url}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server.url}/")


def sign_in_as_head(page: Page, live_server) -> None:
    """Agency A's head (the cast's `head_a`) signs in with the cast's password."""
    sign_in_with(page, live_server, "head_a", "mat-khau-thu-nghiem")


VALID = "Signature Validation: Signature is Valid."


def sent_with_signature_and_seal(page: Page, live_server, letter, ca, folder, *, signer, agency):
    """After the seal: the letter's page is back, the letter gone to the Sở KH&CN, and pdfsig
    finds the signed PDF's two signatures valid, `signer`'s then `agency`'s seal."""
    page.wait_for_url(f"{live_server.url}/van-ban/{letter.pk}/")
    expect(page.locator("[data-status]")).to_have_attribute("data-status", Status.PROVINCE_REVIEW)
    signed = letter.documents.get(kind=DocumentKind.SIGNED)
    sections = pdfsig_sections(bytes(signed.content), ca, folder)
    assert len(sections) == 2 and all(VALID in section for section in sections)
    assert f"Common Name: {signer}" in sections[0]
    assert f"Common Name: {agency}" in sections[1]
