"""The portal works in a real Chromium under its Content-Security-Policy (config/settings.py):
pages, htmx fragments, the queue's check-all box, the cancel confirm and the Django admin
raise no CSP violation and no console error. Screenshots: var/screenshots/csp-*.png."""

from datetime import date

import pytest
from playwright.sync_api import expect

from agencies.models import Person
from devices.models import Device, HandoverNotice
from requests_app import services
from requests_app.choices import FormKind, Status
from requests_app.demo import load_full_demo
from requests_app.models import CertRequest
from tests.helpers import off_the_browser_loop
from tests.requests_app.letters import head_signs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLERK, HEAD, OFFICER, ADMIN = "canbo.stc", "lanhdao.stc", "so.khcn", "quantri"

# Runs before any page script (injected by the browser's debugging protocol, which the policy
# does not govern): records every violation the page reports.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI + " "
    + (event.sourceFile || "") + ":" + event.lineNumber);
});
"""


@pytest.fixture
def demo():
    """The full demo (a draft Mẫu 01, a Mẫu 04 in the Sở KH&CN's inbox, tokens with their Mẫu
    07), plus a second letter in the inbox so that "check all" has more than one box. Built
    off the browser's event loop: the demo's letters are signed in-process (pyHanko)."""
    return off_the_browser_loop(_demo)


def _demo():
    accounts = load_full_demo()
    draft = CertRequest.objects.get(status=Status.DRAFT, form=FormKind.ISSUE_PERSON)
    clerk, head = draft.created_by, Person.objects.get(user__username=HEAD).user
    second = services.cert_request_create(
        agency=draft.agency,
        form=FormKind.ISSUE_PERSON,
        by=clerk,
        contact_name=draft.contact_name,
        contact_mobile=draft.contact_mobile,
        contact_email=draft.contact_email,
    )
    services.row_save(
        cert_request=second,
        by=clerk,
        data={
            "full_name": "Vàng Thị Dung",
            "date_of_birth": date(1991, 6, 2),
            "national_id": "012191008765",
            "id_issue_date": date(2021, 4, 12),
            "id_issue_place": "CCSĐKQLCTVDLQGVDC",
            "email": "dungvt@laichau.gov.vn",
            "work_agency": draft.agency.name,
            "province_name": "Lai Châu",
            "position_title": "Chuyên viên",
            "mobile": "0912555666",
        },
    )
    services.cert_request_submit(cert_request=second, by=clerk)
    services.cert_request_issue(cert_request=second, by=head)
    # The worker's rendering, then the head's signature and seal at the desk: the letter
    # reaches the province's inbox.
    head_signs(second, by=head)
    return {"accounts": accounts, "draft": draft}


@pytest.fixture
def watched(as_user):
    """A logged-in page whose CSP violations and console errors are collected."""
    pages = []

    def open_as(username):
        page = as_user(username)
        page.context.add_init_script(RECORD_VIOLATIONS)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.console_errors = errors
        pages.append(page)
        return page

    return open_as


def problems(page) -> list[str]:
    """Violations the current document recorded and console errors seen so far."""
    recorded = page.evaluate("window.__cspViolations || ['(the recorder did not run)']")
    return recorded + page.console_errors


def visit(page, url):
    page.goto(url)
    page.wait_for_load_state("networkidle")
    assert problems(page) == [], url


def test_the_letters_list_filter_and_the_draft_editor_raise_no_csp_violation(
    demo, watched, live_server, screenshot
):
    page = watched(CLERK)
    visit(page, f"{live_server.url}/")
    visit(page, f"{live_server.url}/van-ban/")

    rows = page.locator("#ket-qua tbody tr")
    assert rows.count() == 4  # the draft, the Mẫu 04, the Mẫu 05 and the second Mẫu 01
    page.get_by_label("Trạng thái").select_option(Status.DRAFT)
    with page.expect_response(lambda r: "status=draft" in r.url):
        page.get_by_role("button", name="Lọc").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Dự thảo")
    assert "status=draft" in page.url  # pushed by htmx, no full reload
    assert problems(page) == []

    # No page snapshot is kept in sessionStorage (templates/base.html): "back" reloads the page.
    page.go_back()
    page.wait_for_load_state("networkidle")
    expect(rows).to_have_count(4)
    assert page.evaluate("window.sessionStorage.getItem('htmx-history-cache')") is None
    assert problems(page) == []

    visit(page, f"{live_server.url}/van-ban/{demo['draft'].pk}/soan/")
    screenshot(page, "csp-draft-editor")
    assert problems(page) == []


def test_the_cancel_confirm_asks_and_cancels_only_when_accepted(demo, watched, live_server):
    draft = demo["draft"]
    page = watched(CLERK)
    visit(page, f"{live_server.url}/van-ban/{draft.pk}/soan/")
    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    page.get_by_role("button", name="Hủy văn bản").click()
    page.wait_for_timeout(300)  # a submitted form would be navigating by now
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert questions == ["Hủy văn bản này? Văn bản đã hủy không soạn tiếp được."]

    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    with page.expect_navigation():
        page.get_by_role("button", name="Hủy văn bản").click()
    draft.refresh_from_db()
    assert draft.status == Status.CANCELLED
    assert len(questions) == 2
    assert problems(page) == []


def test_the_queue_check_all_box_ticks_and_clears_every_letter(
    demo, watched, live_server, screenshot
):
    page = watched(OFFICER)
    visit(page, f"{live_server.url}/so-khcn/hop-thu/")
    boxes = page.locator('input[name="ids"]')
    check_all = page.get_by_label("Chọn tất cả văn bản trên trang")
    assert boxes.count() >= 2

    check_all.check()
    assert [boxes.nth(i).is_checked() for i in range(boxes.count())] == [True] * boxes.count()
    screenshot(page, "csp-queue-check-all")
    check_all.uncheck()
    assert [boxes.nth(i).is_checked() for i in range(boxes.count())] == [False] * boxes.count()
    assert problems(page) == []


def test_device_pages_and_a_print_view_raise_no_csp_violation(demo, watched, live_server):
    page = watched(CLERK)
    device = Device.objects.filter(agency__name="Sở Tài chính tỉnh Lai Châu").first()
    notice = HandoverNotice.objects.first()
    visit(page, f"{live_server.url}/thiet-bi/")
    visit(page, f"{live_server.url}/thiet-bi/{device.pk}/")
    visit(page, f"{live_server.url}/thiet-bi/mau-07/{notice.pk}/")
    visit(page, f"{live_server.url}/thiet-bi/mau-07/{notice.pk}/in/")


def test_the_login_page_raises_no_csp_violation(page, live_server):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.context.add_init_script(RECORD_VIOLATIONS)

    page.goto(f"{live_server.url}/dang-nhap/")
    page.wait_for_load_state("networkidle")

    assert page.evaluate("window.__cspViolations") == []
    assert errors == []


def test_the_django_admin_raises_no_csp_violation(demo, watched, live_server, screenshot):
    page = watched(ADMIN)
    visit(page, f"{live_server.url}/quan-tri/")
    visit(page, f"{live_server.url}/quan-tri/auth/user/")
    page.locator("#result_list tbody a").first.click()
    page.wait_for_load_state("networkidle")
    screenshot(page, "csp-admin-user")
    assert problems(page) == []


# What a browser extension (a password manager, a spell checker) or the browser's own tools
# leave on a page's inputs: a style attribute, set through the CSSOM (which CSP allows). htmx
# must not copy it onto the fragment it swaps in (`attributesToSettle`, templates/base.html):
# a style attribute written by setAttribute is an inline style the policy blocks.
MARK_INPUTS = """
document.querySelectorAll("input, textarea, select").forEach(function (field) {
  field.style.backgroundImage = "none";
});
"""


def test_the_row_editor_raises_no_csp_violation_while_rows_are_edited(
    demo, watched, live_server, screenshot
):
    """The draft editor's htmx fragments (a row's edit form, the person picker, the row saved,
    the edit cancelled, the add form cleared and a row added) swap in without one violation,
    even where the browser has put a style on the inputs: every style is in the static CSS,
    htmx injects none (`includeIndicatorStyles`) and copies none (`attributesToSettle`)."""
    draft = demo["draft"]
    page = watched(CLERK)
    visit(page, f"{live_server.url}/van-ban/{draft.pk}/soan/")
    body = page.locator("#rows-body")
    row_id = body.locator("tr").first.get_attribute("id")
    row = page.locator(f"#{row_id}")
    editing = page.locator(f"#{row_id}.row-editing")

    row.get_by_role("link", name="Sửa").click()
    expect(editing).to_be_visible()
    page.evaluate(MARK_INPUTS)
    with page.expect_response(lambda r: "/chon/" in r.url):
        editing.get_by_role("searchbox").fill("Lò")
    page.wait_for_load_state("networkidle")
    assert problems(page) == []
    with page.expect_response(lambda r: r.request.method == "POST"):
        editing.get_by_role("button", name="Lưu dòng").click()
    expect(editing).to_have_count(0)
    assert problems(page) == []

    row.get_by_role("link", name="Sửa").click()
    expect(editing).to_be_visible()
    page.evaluate(MARK_INPUTS)
    row.get_by_role("link", name="Hủy").click()
    expect(editing).to_have_count(0)
    assert problems(page) == []

    page.evaluate(MARK_INPUTS)
    with page.expect_response(lambda r: r.request.method == "GET" and "them" in r.url):
        page.locator("#row-add").get_by_role("link", name="Xóa trắng").click()
    page.wait_for_load_state("networkidle")
    page.evaluate(MARK_INPUTS)
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.locator("#row-add").get_by_role("button", name="Thêm dòng vào bảng").click()
    page.wait_for_load_state("networkidle")
    screenshot(page, "csp-row-editor")
    assert problems(page) == []
