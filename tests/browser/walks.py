"""Steps the browser walks share (tests/browser/test_*_walk.py)."""

from playwright.sync_api import Page, expect

from agencies.demo import DEMO_PASSWORD
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


def sign_in_as_head(page: Page, live_server) -> None:
    """Agency A's head (the cast's `head_a`) signs in with the cast's password."""
    page.goto(f"{live_server.url}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill("head_a")
    page.get_by_label("Mật khẩu").fill("mat-khau-thu-nghiem")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server.url}/")
