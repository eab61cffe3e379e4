"""Account security in a real browser. A CA operator without an authenticator is sent to
enrolment, is refused without the administrator's enrolment code, types it, adds the secret to
their "app", confirms with its code, keeps the recovery codes, and the next sign-in asks for a
code (here a recovery code); five wrong passwords show the lockout page. Screenshots in
var/screenshots/."""

import time
from base64 import b32decode

import pytest
from django.contrib.auth import get_user_model
from django_otp.oath import TOTP

from agencies.accounts.twofactor import enrolment_code_issue, two_factor_reset
from agencies.demo import DEMO_PASSWORD, load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CA = "cuc.cts"


def app_code(secret: str) -> str:
    """What an authenticator app shows for a secret typed into it."""
    totp = TOTP(b32decode(secret.replace(" ", "")))
    totp.time = time.time()
    return f"{totp.token():06d}"


def password_step(page, base_url):
    page.goto(f"{base_url}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(CA)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def test_a_ca_operator_enrols_in_the_browser_and_signs_in_again_with_a_recovery_code(
    page, live_server, screenshot
):
    load_demo()
    operator = get_user_model().objects.get(username=CA)
    two_factor_reset(user=operator, by=operator)  # as if they had never enrolled
    enrolment_code = enrolment_code_issue(user=operator, by=None)  # handed over in person

    password_step(page, live_server.url)
    page.wait_for_url(f"{live_server.url}/tai-khoan/dang-ky-xac-thuc/**")
    page.goto(f"{live_server.url}/ca/hang-doi/")  # any page: still enrolment
    page.wait_for_url(f"{live_server.url}/tai-khoan/dang-ky-xac-thuc/**")
    assert page.locator("figure.qr-code").count() == 0  # no secret with the password alone
    page.get_by_label("Mã đăng ký do quản trị hệ thống cấp").fill("abcd-efgh-jkmn")
    page.get_by_role("button", name="Tiếp tục").click()
    page.get_by_text("Mã đăng ký không đúng").wait_for()
    assert page.locator("figure.qr-code").count() == 0
    screenshot(page, "2fa-enrolment-code")
    page.get_by_label("Mã đăng ký do quản trị hệ thống cấp").fill(enrolment_code)
    page.get_by_role("button", name="Tiếp tục").click()
    page.locator("figure.qr-code svg").wait_for()
    assert page.locator("figure.qr-code svg").is_visible()
    secret = page.locator("#khoa-bi-mat").inner_text()
    screenshot(page, "2fa-enrol-ca-operator")

    page.get_by_label("Mã xác thực").fill(app_code(secret))
    page.get_by_role("button", name="Xác nhận và bật xác thực hai lớp").click()
    codes = page.locator("ol.recovery-codes li")
    codes.first.wait_for()
    assert codes.count() == 10
    recovery = codes.first.inner_text()
    screenshot(page, "2fa-recovery-codes")

    page.get_by_role("link", name="Tôi đã lưu các mã, tiếp tục").click()
    page.wait_for_url(f"{live_server.url}/ca/hang-doi/")
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url(f"{live_server.url}/dang-nhap/")

    password_step(page, live_server.url)
    page.wait_for_url(f"{live_server.url}/tai-khoan/xac-minh/**")
    screenshot(page, "2fa-verify")
    page.get_by_label("Mã xác thực").fill(recovery)
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", level=1).first.is_visible()


def test_five_wrong_passwords_show_the_lockout_page_in_vietnamese(page, live_server, screenshot):
    load_demo()
    page.goto(f"{live_server.url}/dang-nhap/")
    for _ in range(5):
        page.get_by_label("Tên đăng nhập").fill("canbo.stc")
        page.get_by_label("Mật khẩu").fill("khong-dung")
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_load_state()
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "Tạm khóa đăng nhập"
    assert "liên hệ quản trị hệ thống" in page.get_by_role("alert").inner_text()
    screenshot(page, "login-locked-out")
