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
