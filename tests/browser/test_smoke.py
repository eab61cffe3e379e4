"""Smoke test in a real browser: every demo role logs in through the login form and lands on
its own dashboard. Screenshots go to var/screenshots/ for a human to look at."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from agencies.choices import Role
from agencies.demo import load_demo
from agencies.models import Organization, Person
from certificates.choices import CertStatus
from devices.choices import DeviceStatus
from tests import factories as f
from tests.helpers import browser_second_step

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADINGS = {
    Role.AGENCY_CLERK: "Bảng điều khiển của cán bộ đầu mối",
    Role.AGENCY_HEAD: "Bảng điều khiển của lãnh đạo cơ quan",
    Role.PROVINCIAL_OFFICER: "Bảng điều khiển của Sở Khoa học và Công nghệ",
    Role.CA_OPERATOR: "Bảng điều khiển của Cục Chứng thực số và Bảo mật thông tin",
    Role.SUBSCRIBER: "Bảng điều khiển của thuê bao",
    Role.ADMINISTRATOR: "Bảng điều khiển quản trị hệ thống",
}


@pytest.fixture
def demo_accounts():
    """The demo, plus a few registry rows so the dashboards have numbers to show."""
    accounts = load_demo()
    finance = Organization.objects.get(name="Sở Tài chính tỉnh Lai Châu")
    health = Organization.objects.get(name="Sở Y tế tỉnh Lai Châu")
    now = timezone.now()
    for agency, n in ((finance, 4), (health, 2)):
        for _ in range(n):
            person = f.PersonFactory(organization=agency)
            device = f.DeviceFactory(
                agency=agency, holder=person, status=DeviceStatus.HANDED_TO_SUBSCRIBER
            )
            f.CertificateFactory(person=person, device=device)
    f.CertificateFactory(
        person=f.PersonFactory(organization=finance), not_after=now + timedelta(days=12)
    )
    f.CertificateFactory(
        person=f.PersonFactory(organization=finance),
        status=CertStatus.REVOKED,
        revoked_at=now - timedelta(days=3),
    )
    f.DeviceFactory(agency=finance, status=DeviceStatus.LOCKED)
    subscriber = Person.objects.get(user__username="thuebao")
    token = f.DeviceFactory(
        agency=finance, holder=subscriber, status=DeviceStatus.HANDED_TO_SUBSCRIBER
    )
    f.CertificateFactory(person=subscriber, device=token, not_after=now + timedelta(days=700))
    return {account.username: account for account in accounts}


def first_account_with(accounts, role):
    return next(account for account in accounts.values() if account.role == role)


def log_in(page, live_server, account):
    page.goto(f"{live_server.url}/")
    assert page.url.startswith(f"{live_server.url}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(account.username)
    page.get_by_label("Mật khẩu").fill(account.password)
    page.get_by_role("button", name="Đăng nhập").click()
    browser_second_step(page, live_server.url, account.username)
    page.wait_for_url(f"{live_server.url}/")


@pytest.mark.parametrize("role", list(HEADINGS), ids=[str(r) for r in HEADINGS])
def test_each_demo_role_logs_in_and_sees_its_dashboard(
    page, live_server, demo_accounts, screenshot, role
):
    account = first_account_with(demo_accounts, role)
    log_in(page, live_server, account)

    assert page.locator("h1").inner_text() == HEADINGS[role]
    assert str(Role(role).label) in page.locator(".user-role").inner_text()
    assert page.evaluate("typeof htmx") == "object"  # the vendored htmx was served
    screenshot(page, f"dashboard-{account.username}")

    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url(re.compile(r".*/dang-nhap/$"))


def test_the_clerk_sees_the_agency_numbers(page, live_server, demo_accounts):
    log_in(page, live_server, demo_accounts["canbo.stc"])
    assert page.locator('[data-count="valid"]').inner_text() == "6"  # with the subscriber's
    assert page.locator('[data-count="expiring"]').inner_text() == "1"
    assert page.locator('[data-count="revoked"]').inner_text() == "1"
    assert page.locator('[data-count="devices"]').inner_text() == "6"


def test_a_wrong_password_is_refused_in_vietnamese(page, live_server, demo_accounts, screenshot):
    page.goto(f"{live_server.url}/dang-nhap/")
    screenshot(page, "login")
    page.get_by_label("Tên đăng nhập").fill("canbo.stc")
    page.get_by_label("Mật khẩu").fill("khong-dung")
    page.get_by_role("button", name="Đăng nhập").click()
    alert = page.get_by_role("alert")
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in alert.inner_text()
    screenshot(page, "login-refused")


def test_the_language_switch_turns_the_portal_english_and_back(
    page, live_server, demo_accounts, screenshot
):
    log_in(page, live_server, demo_accounts["thuebao"])
    page.get_by_role("button", name=re.compile("^EN")).click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Subscriber dashboard"
    screenshot(page, "dashboard-thuebao-en")
    page.get_by_role("button", name=re.compile("^VI")).click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == HEADINGS[Role.SUBSCRIBER]


def test_the_dashboard_fits_a_phone_screen(browser, live_server, demo_accounts, screenshot):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    page = context.new_page()
    try:
        log_in(page, live_server, demo_accounts["so.khcn"])
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the page scrolls sideways by {overflow}px"
        screenshot(page, "dashboard-so.khcn-phone")
    finally:
        context.close()
