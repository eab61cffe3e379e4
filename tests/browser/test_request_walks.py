"""Letters from a clerk's draft to done, in a real Chromium, across the three roles
(docs/architecture.md §7): Mẫu 01 and 05 go agency → Sở KH&CN → CA, Mẫu 04 and 06 stop at the Sở KH&CN,
and a letter returned for correction comes back and goes on. Processing runs in a real Celery
worker on Redis while the page's progress bar polls.

Screenshots of the key steps go to var/screenshots/walk-*.png for a human to look at.
"""

import re
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from agencies.demo import DEMO_PASSWORD, load_demo
from agencies.models import Organization, Person
from certificates.choices import CertStatus, SubjectKind
from certificates.models import Certificate
from certificates.services import ca_initialize, certificate_issue
from devices.choices import DeviceKind, DeviceStatus
from devices.services import device_deliver_for_certificate, device_hand_over, device_lock
from portal.workdays import add_working_days
from requests_app.choices import Outcome, Status
from requests_app.models import CertRequest
from tests.helpers import off_the_browser_loop, totp_code
from tests.requests_app.letters import head_signs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FINANCE = "Sở Tài chính tỉnh Lai Châu"
CLERK, HEAD, OFFICER, CA = "canbo.stc", "lanhdao.stc", "so.khcn", "cuc.cts"
# the field of an action that asks for the password again (agencies/accounts/reauth.py)
REAUTH_LABEL = "Nhập lại mật khẩu để xác nhận"
REAUTH_CODE_LABEL = "Mã xác thực 6 chữ số"
CONTACT = {
    "contact_name": "Nguyễn Thị Thu Hà",
    "contact_mobile": "0912100101",
    "contact_email": "hantt@laichau.gov.vn",
}


@pytest.fixture
def world(redis_worker):
    """The demo organisations and accounts, a simulated CA, and the finance department's
    certificates on USB tokens handed to their holders, one token locked (all made through
    the certificates and devices services)."""
    load_demo()
    ca_initialize()
    from django.contrib.auth import get_user_model

    users = {u.username: u for u in get_user_model().objects.all()}
    finance = Organization.objects.get(name=FINANCE)
    people = {p.full_name: p for p in Person.objects.within(finance.path)}
    certificates = {}
    for name in ("Trần Đức Minh", "Vàng A Sử", "Đỗ Thị Lan Anh"):
        device = device_deliver_for_certificate(
            kind=DeviceKind.USB_TOKEN, agency=finance, holder=people[name], by=users[CA]
        )
        certificates[name] = certificate_issue(
            subject_kind=SubjectKind.PERSON,
            agency=finance,
            person=people[name],
            device=device,
            by=users[CA],
        )
        device_hand_over(device=device, by=users[CLERK], document_ref="Mẫu 07")
    locked = certificates["Đỗ Thị Lan Anh"].device
    device_lock(device=locked, by=users[CLERK], note="Nhập sai mã PIN quá 10 lần")
    # The head signs on the portal: their personal certificate and the agency's seal.
    head = Person.objects.get(user=users[HEAD])
    certificate_issue(subject_kind=SubjectKind.PERSON, agency=finance, person=head, by=users[CA])
    certificate_issue(subject_kind=SubjectKind.ORGANIZATION, agency=finance, by=users[CA])
    return SimpleNamespace(
        finance=finance, users=users, certificates=certificates, locked_device=locked
    )


# --- steps, as each role does them ------------------------------------------------------------
def fill(scope, name: str, value) -> None:
    field = scope.locator(f"[name={name}]")
    kind = field.evaluate("e => e.tagName === 'SELECT' ? 'select' : e.type")
    if kind == "select":
        field.select_option(value)
    elif kind == "checkbox":
        field.set_checked(bool(value))
    else:
        field.fill(value)


def clerk_drafts(page, live_server, form: str, rows: list[dict], screenshot, name) -> int:
    """The clerk creates a letter, fills section 1, adds the rows and submits it."""
    page.goto(f"{live_server.url}/van-ban/tao/?mau={form}")
    page.get_by_role("button", name="Tạo dự thảo").click()
    page.wait_for_url(re.compile(r".*/van-ban/\d+/soan/$"))
    pk = int(re.search(r"/van-ban/(\d+)/soan/", page.url).group(1))
    add = page.locator("#row-add")
    for n, row in enumerate(rows, start=1):
        for field, value in row.items():
            fill(add, field, value)
        add.get_by_role("button", name="Thêm dòng vào bảng").click()
        # Saved rows only: the id of a saved row ends with its primary key.
        expect(page.locator("#rows-body tr[id^='dong-']:not([id='dong-'])")).to_have_count(n)
        expect(page.locator("#rows-status")).to_have_text(f"Đã thêm dòng {n}.")
        # The next row goes into the fresh form swapped in by htmx, without a reload.
        expect(add.locator("form")).to_have_count(1)
    contact = page.locator("#contact-form")
    for field, value in CONTACT.items():
        if form == "06" and field == "contact_email":
            continue
        fill(contact, field, value)
    screenshot(page, f"walk-{name}-1-draft")
    page.locator(".sticky-actions").get_by_role("button", name="Trình lãnh đạo ký").click()
    page.wait_for_url(f"{live_server.url}/van-ban/{pk}/")
    expect(page.locator(".messages")).to_contain_text("Đã trình lãnh đạo ký văn bản.")
    expect(page.locator("[data-status]")).to_have_attribute("data-status", Status.AWAITING_HEAD)
    return pk


def head_issues(page, live_server, pk: int, number: str, screenshot, name) -> None:
    page.goto(f"{live_server.url}/van-ban/{pk}/")
    page.get_by_label("Số văn bản (để trống để hệ thống tự cấp số)").fill(number)
    page.get_by_label(REAUTH_LABEL).fill(DEMO_PASSWORD)
    screenshot(page, f"walk-{name}-2-head")
    page.get_by_role("button", name="Cấp số và ký bằng thiết bị của tôi").click()
    expect(page.locator(".messages")).to_contain_text(f"Đã cấp số {number}.")
    expect(page.locator(".page-head")).to_contain_text(number)
    # The head's signature and the agency's seal at the desk, the test playing the signing
    # client (tests/desk.py; the client itself: tests/browser/test_desk_signing.py).
    off_the_browser_loop(lambda: desk_signs(pk))
    wait_until_signed(page, live_server, pk)


def desk_signs(pk: int) -> None:
    head = get_user_model().objects.get(username=HEAD)
    head_signs(CertRequest.objects.get(pk=pk), by=head)


def wait_until_signed(page, live_server, pk: int) -> None:
    """Signed and sealed, the letter reaches the province: the head reloads the page until
    it says so (the page may reload itself first: its signing status polls while the PDF is
    rendered, and reloads once the letter has moved on)."""
    status = page.locator("[data-status]")
    for _ in range(240):
        if status.get_attribute("data-status") == Status.PROVINCE_REVIEW:
            break
        page.wait_for_timeout(500)
        try:
            page.goto(f"{live_server.url}/van-ban/{pk}/")
        except PlaywrightError:  # our navigation cut short by the page's own reload
            page.wait_for_load_state()
    expect(status).to_have_attribute("data-status", Status.PROVINCE_REVIEW)


def open_from_queue(page, live_server, queue_path: str, pk: int, screenshot, name) -> None:
    page.goto(f"{live_server.url}{queue_path}")
    row = page.locator(f"tr[data-letter='{pk}']")
    expect(row).to_be_visible()
    screenshot(page, f"walk-{name}-queue")
    row.get_by_role("link").click()
    page.wait_for_url(f"{live_server.url}/van-ban/{pk}/")


def accept_all(page) -> None:
    page.get_by_role("button", name="Chấp nhận mọi dòng hợp lệ").click()
    expect(page.locator(".messages")).to_contain_text("Đã chấp nhận")
    expect(page.locator("tr[data-outcome='pending']")).to_have_count(0)


def process_and_wait(page, screenshot, name, username: str) -> None:
    page.get_by_label(REAUTH_LABEL).fill(DEMO_PASSWORD)
    # The demo's provincial officer and CA operator have an authenticator: its current code.
    page.get_by_label(REAUTH_CODE_LABEL).fill(
        totp_code(get_user_model().objects.get(username=username))
    )
    page.get_by_role("button", name="Xử lý các dòng đã chấp nhận").click()
    # A one-row letter may be done by the worker before the page has loaded.
    status = page.locator("[data-status]")
    expect(status).to_have_attribute(
        "data-status", re.compile(f"^({Status.IN_PROCESS}|{Status.DONE})$")
    )
    expect(page.locator("#tien-do-xu-ly")).to_be_visible()
    screenshot(page, f"walk-{name}-progress")
    # The progress fragment polls every second and reloads the page once processing ends.
    expect(page.locator("[data-status]")).to_have_attribute(
        "data-status", Status.DONE, timeout=90_000
    )
    expect(page.locator("#tien-do-xu-ly")).to_have_attribute("data-percent", "100")


def clerk_sees_done(page, live_server, pk: int, screenshot, name) -> None:
    page.goto(f"{live_server.url}/van-ban/{pk}/")
    expect(page.locator("[data-status]")).to_have_attribute("data-status", Status.DONE)
    expect(page.locator("tr[data-outcome='done']").first).to_be_visible()
    expect(page.locator("tr[data-outcome='accepted'], tr[data-outcome='pending']")).to_have_count(0)
    screenshot(page, f"walk-{name}-4-done")
    page.goto(f"{live_server.url}/thong-bao/")
    expect(page.locator(".notifications li.unread").first).to_contain_text("Hoàn thành")


def person_row(n: int) -> dict:
    return {
        "full_name": f"Lường Văn Khánh {n}",
        "date_of_birth": "14/02/1993",
        "national_id": f"0121930045{n:02d}",
        "id_issue_date": "20/05/2022",
        "id_issue_place": "CCSĐKQLCTVDLQGVDC",
        "email": f"khanhlv{n}@laichau.gov.vn",
        "work_agency": FINANCE,
        "province_name": "Lai Châu",
        "position_title": "Chuyên viên",
        "mobile": f"09127770{n:02d}",
    }


# --- the walks ---------------------------------------------------------------------------------
# Mẫu 01 and its variant for remote signing (docs/remote-signing.md): the same walk, keys born
# in the holders' USB tokens or in the CA's HSM.
@pytest.mark.parametrize(
    ("form", "kind"), [("01", DeviceKind.USB_TOKEN), ("01-rssp", DeviceKind.RSSP)]
)
def test_mau_01_from_draft_to_certificates_issued(
    world, as_user, live_server, screenshot, form, kind
):
    clerk, head, officer, ca = (as_user(u) for u in (CLERK, HEAD, OFFICER, CA))

    pk = clerk_drafts(clerk, live_server, form, [person_row(1), person_row(2)], screenshot, form)
    if kind == DeviceKind.RSSP:
        expect(clerk.locator("h1")).to_contain_text("sử dụng ký số tập trung")
    head_issues(head, live_server, pk, "21/STC-VP", screenshot, form)

    open_from_queue(officer, live_server, "/so-khcn/hop-thu/", pk, screenshot, f"{form}-so")
    # One row accepted inline (htmx), the other by the bulk button, then on to the CA.
    officer.locator("tr[data-row='1']").get_by_role("button", name="Chấp nhận").click()
    expect(officer.locator("tr[data-row='1']")).to_have_attribute("data-outcome", "accepted")
    accept_all(officer)
    screenshot(officer, f"walk-{form}-3-province")
    officer.get_by_role("button", name="Chuyển Cục CTS&BMTT").click()
    expect(officer.locator("[data-status]")).to_have_attribute("data-status", Status.FORWARDED)

    open_from_queue(ca, live_server, "/ca/hang-doi/", pk, screenshot, f"{form}-ca")
    accept_all(ca)
    process_and_wait(ca, screenshot, f"{form}-ca", CA)
    screenshot(ca, f"walk-{form}-3-ca-done")

    clerk_sees_done(clerk, live_server, pk, screenshot, form)
    letter = CertRequest.objects.get(pk=pk)
    rows = list(letter.rows.select_related("result_certificate", "result_device"))
    assert [r.outcome for r in rows] == [Outcome.DONE, Outcome.DONE]
    for row in rows:
        assert row.result_certificate.status == CertStatus.VALID
        assert row.result_device.status == DeviceStatus.DELIVERED_TO_AGENCY
        assert row.result_device.kind == kind
        assert hasattr(row.result_device, "credential") is (kind == DeviceKind.RSSP)
    clerk.goto(f"{live_server.url}/van-ban/{pk}/")
    for row in rows:
        expect(clerk.get_by_role("link", name=row.result_certificate.serial)).to_be_visible()


def test_mau_04_renewal_processed_by_the_province(world, as_user, live_server, screenshot):
    clerk, head, officer = (as_user(u) for u in (CLERK, HEAD, OFFICER))
    old = world.certificates["Trần Đức Minh"]

    pk = clerk_drafts(
        clerk, live_server, "04", [{"certificate": old.serial, "renew": True}], screenshot, "04"
    )
    head_issues(head, live_server, pk, "22/STC-VP", screenshot, "04")
    open_from_queue(officer, live_server, "/so-khcn/hop-thu/", pk, screenshot, "04-so")
    expect(officer.get_by_role("button", name="Chuyển Cục CTS&BMTT")).to_have_count(0)
    accept_all(officer)
    process_and_wait(officer, screenshot, "04-so", OFFICER)

    clerk_sees_done(clerk, live_server, pk, screenshot, "04")
    row = CertRequest.objects.get(pk=pk).rows.select_related("result_certificate").get()
    renewed = row.result_certificate
    assert renewed.pk != old.pk and renewed.renewal_count == 1
    assert renewed.not_after > old.not_after
    old.refresh_from_db()
    assert old.status == CertStatus.REVOKED  # superseded by the renewal


def test_mau_05_revocation_through_the_province_to_the_ca(world, as_user, live_server, screenshot):
    clerk, head, officer, ca = (as_user(u) for u in (CLERK, HEAD, OFFICER, CA))
    target = world.certificates["Vàng A Sử"]

    pk = clerk_drafts(
        clerk,
        live_server,
        "05",
        [{"certificate": target.serial, "revoke_reason": "retired"}],
        screenshot,
        "05",
    )
    head_issues(head, live_server, pk, "23/STC-VP", screenshot, "05")
    open_from_queue(officer, live_server, "/so-khcn/hop-thu/", pk, screenshot, "05-so")
    accept_all(officer)
    officer.get_by_role("button", name="Chuyển Cục CTS&BMTT").click()
    expect(officer.locator("[data-status]")).to_have_attribute("data-status", Status.FORWARDED)

    open_from_queue(ca, live_server, "/ca/hang-doi/", pk, screenshot, "05-ca")
    accept_all(ca)
    process_and_wait(ca, screenshot, "05-ca", CA)

    clerk_sees_done(clerk, live_server, pk, screenshot, "05")
    target.refresh_from_db()
    assert target.status == CertStatus.REVOKED
    assert target.revocation_reason == "retired"
    row = CertRequest.objects.get(pk=pk).rows.get()
    assert row.result_certificate_id == target.pk


def test_mau_06_recovery_processed_by_the_province(world, as_user, live_server, screenshot):
    clerk, head, officer = (as_user(u) for u in (CLERK, HEAD, OFFICER))
    device = world.locked_device

    pk = clerk_drafts(clerk, live_server, "06", [{"device": device.serial}], screenshot, "06")
    head_issues(head, live_server, pk, "24/STC-VP", screenshot, "06")
    letter = CertRequest.objects.get(pk=pk)
    assert letter.received_on == timezone.localdate()
    assert letter.due_on == add_working_days(letter.received_on, 1)  # docs/domain.md §4: one day
    open_from_queue(officer, live_server, "/so-khcn/hop-thu/", pk, screenshot, "06-so")
    accept_all(officer)
    process_and_wait(officer, screenshot, "06-so", OFFICER)

    clerk_sees_done(clerk, live_server, pk, screenshot, "06")
    device.refresh_from_db()
    assert device.status == DeviceStatus.HANDED_TO_SUBSCRIBER


def test_a_letter_returned_for_correction_comes_back(world, as_user, live_server, screenshot):
    clerk, head, officer = (as_user(u) for u in (CLERK, HEAD, OFFICER))
    wrong = {**person_row(3), "position_title": "Chuyen vien"}
    pk = clerk_drafts(clerk, live_server, "01", [wrong], screenshot, "return")
    head_issues(head, live_server, pk, "25/STC-VP", screenshot, "return")

    # The officer returns it with a comment.
    open_from_queue(officer, live_server, "/so-khcn/hop-thu/", pk, screenshot, "return-so")
    officer.get_by_text("Trả lại để sửa…").click()
    officer.get_by_label("Ý kiến, nội dung cần sửa (bắt buộc)").fill(
        "Dòng 1: ghi chức vụ có dấu (Chuyên viên)."
    )
    screenshot(officer, "walk-return-3-comment")
    officer.get_by_role("button", name="Trả lại để sửa", exact=True).click()
    expect(officer.locator("[data-status]")).to_have_attribute("data-status", Status.DRAFT)
    expect(officer.locator(f"tr[data-letter='{pk}']")).to_have_count(0)

    # The clerk is told, reads the comment on the letter and corrects the row.
    clerk.goto(f"{live_server.url}/thong-bao/")
    notice = clerk.locator(".notifications li.unread").first
    expect(notice).to_contain_text("ghi chức vụ có dấu")
    screenshot(clerk, "walk-return-4-notice")
    notice.get_by_role("button").first.click()
    clerk.wait_for_url(f"{live_server.url}/van-ban/{pk}/")
    expect(clerk.locator("[data-last-reason='return']")).to_contain_text(
        "Dòng 1: ghi chức vụ có dấu"
    )
    expect(clerk.locator("table.history")).to_contain_text("Dòng 1: ghi chức vụ có dấu")
    screenshot(clerk, "walk-return-5-returned")
    clerk.get_by_role("link", name="Sửa dự thảo").click()
    clerk.wait_for_url(f"{live_server.url}/van-ban/{pk}/soan/")
    row_pk = CertRequest.objects.get(pk=pk).rows.get().pk
    clerk.locator(f"tr#dong-{row_pk}").get_by_role("link", name=re.compile("^Sửa")).click()
    editing = clerk.locator(f"tr#dong-{row_pk}.row-editing")
    expect(editing).to_be_visible()
    editing.locator("[name=position_title]").fill("Chuyên viên")
    editing.get_by_role("button", name="Lưu dòng").click()
    expect(clerk.locator("#rows-status")).to_have_text("Đã lưu dòng 1.", timeout=15_000)
    expect(clerk.locator(f"tr#dong-{row_pk}")).to_contain_text("Chuyên viên")
    clerk.locator(".sticky-actions").get_by_role("button", name="Trình lãnh đạo ký").click()
    clerk.wait_for_url(f"{live_server.url}/van-ban/{pk}/")

    head_issues(head, live_server, pk, "26/STC-VP", screenshot, "return-again")
    open_from_queue(officer, live_server, "/so-khcn/hop-thu/", pk, screenshot, "return-so-again")
    accept_all(officer)
    officer.get_by_role("button", name="Chuyển Cục CTS&BMTT").click()
    expect(officer.locator("[data-status]")).to_have_attribute("data-status", Status.FORWARDED)
    screenshot(officer, "walk-return-6-forwarded")

    letter = CertRequest.objects.get(pk=pk)
    assert letter.rows.get().position_title == "Chuyên viên"
    assert list(letter.transitions.values_list("action", flat=True)) == [
        "submit", "issue", "receive", "return", "submit", "issue", "receive", "forward",
    ]  # fmt: skip
    # the three subscribers', the head's and the seal: nothing issued by the letter yet
    assert Certificate.objects.filter(agency=world.finance).count() == 5


def test_the_head_signs_on_the_portal_and_the_province_verifies_on_receipt(
    world, as_user, live_server, screenshot, tmp_path
):
    """The signed walk: the clerk drafts, the head signs and issues (the worker signs and
    seals), the province sees "2 chữ ký hợp lệ" and downloads the signed PDF, which verifies."""
    from certificates.signing import verify_pdf
    from portal.documents import DocumentKind

    clerk, head, officer = (as_user(u) for u in (CLERK, HEAD, OFFICER))
    pk = clerk_drafts(clerk, live_server, "01", [person_row(5)], screenshot, "signed")
    head_issues(head, live_server, pk, "27/STC-VP", screenshot, "signed")

    open_from_queue(officer, live_server, "/so-khcn/hop-thu/", pk, screenshot, "signed-so")
    panel = officer.locator("[data-signatures]")
    expect(panel.locator("[data-verification-summary]")).to_have_text("2 chữ ký hợp lệ")
    expect(panel.locator("[data-signature-ok]")).to_have_count(2)
    expect(panel).to_contain_text("Lò Văn Thắng")
    expect(panel).to_contain_text(FINANCE)
    screenshot(officer, "walk-signed-3-province")
    with officer.expect_download() as info:
        panel.locator("[data-signed-download]").click()
    download = info.value
    name = download.suggested_filename
    assert name.isascii() and len(name) <= 50 and name.endswith(".pdf")
    path = tmp_path / "signed.pdf"
    download.save_as(path)
    data = path.read_bytes()
    signed = CertRequest.objects.get(pk=pk).documents.get(kind=DocumentKind.SIGNED)
    assert data == bytes(signed.content)
    reports = off_the_browser_loop(lambda: verify_pdf(data, agency=world.finance))
    assert len(reports) == 2
    assert all(report.ok for report in reports), [report.problems for report in reports]
