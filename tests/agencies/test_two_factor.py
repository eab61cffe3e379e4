"""The second factor (agencies/accounts/): who must have it, the code step after the password,
enrolment, recovery codes, the admin's reset and their audit events."""

import json
import time

import pytest
import time_machine
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.accounts import twofactor
from portal.models import AuditEvent
from tests.helpers import sign_in, totp_code

pytestmark = pytest.mark.django_db

PASSWORD = "mat-khau-thu-nghiem"  # tests/factories.py UserFactory
VERIFY = "/tai-khoan/xac-minh/"
ENROL = "/tai-khoan/dang-ky-xac-thuc/"


def password_step(client, user):
    """The first sign-in step through the real form."""
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def enrolled(user) -> list[str]:
    """Give the user a confirmed authenticator and recovery codes; returns the codes."""
    device = twofactor.totp_enrolment_device(user=user)
    codes = twofactor.two_factor_enable(device=device, code=code_now(device), by=user)
    assert codes is not None
    return codes


def code_now(device) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():06d}"


def wrong_code(user) -> str:
    right = totp_code(user)
    return "000000" if right != "000000" else "111111"


def actions() -> list[str]:
    """The second-factor events of the trail, in order (setting up the cast records role grants
    and sign-ins record logins: agencies/accounts/signals.py)."""
    events = AuditEvent.objects.filter(action__startswith="account.2fa")
    return list(events.order_by("seq").values_list("action", flat=True))


# --- who is sent where ----------------------------------------------------------------------
def test_a_ca_operator_must_enrol_before_seeing_any_page(client, cast):
    password_step(client, cast.ca_operator)
    for url in ("/", reverse("requests_app:ca_queue"), reverse("accounts:account")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(ENROL), url
    api = client.get("/api/v1/chung-thu/")
    assert api.status_code == 403
    assert "xác thực hai lớp" in api.json()["detail"]


def test_an_officer_with_an_authenticator_must_enter_a_code_after_the_password(client, cast):
    enrolled(cast.officer_1)
    password_step(client, cast.officer_1)
    inbox = reverse("requests_app:province_inbox")
    response = client.get(inbox)
    assert response.status_code == 302
    assert response.url == f"{VERIFY}?next={inbox.replace('/', '%2F')}"
    response = client.post(VERIFY, {"code": totp_code(cast.officer_1), "next": inbox})
    assert response.status_code == 302
    assert response.url == inbox
    assert client.get(inbox).status_code == 200


def test_a_wrong_code_is_refused_and_the_pages_stay_closed(client, cast):
    enrolled(cast.officer_1)
    password_step(client, cast.officer_1)
    response = client.post(VERIFY, {"code": wrong_code(cast.officer_1)})
    assert response.status_code == 200
    assert "Mã xác thực không đúng" in response.content.decode()
    assert client.get("/").url.startswith(VERIFY)


def test_a_recovery_code_works_once(client, cast):
    codes = enrolled(cast.officer_1)
    password_step(client, cast.officer_1)
    response = client.post(VERIFY, {"code": twofactor.format_recovery_code(codes[0])})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    client.logout()
    password_step(client, cast.officer_1)
    again = client.post(VERIFY, {"code": codes[0]})
    assert again.status_code == 200
    assert client.get("/").url.startswith(VERIFY)


def test_an_authenticator_code_already_accepted_is_refused_a_second_time(client, cast):
    with time_machine.travel(time.time(), tick=False):  # one 30-second step throughout
        device = twofactor.totp_enrolment_device(user=cast.officer_1)
        used = code_now(device)
        assert twofactor.two_factor_enable(device=device, code=used, by=cast.officer_1)
        password_step(client, cast.officer_1)
        response = client.post(VERIFY, {"code": used})
    assert response.status_code == 200
    assert client.get("/").url.startswith(VERIFY)


def test_a_clerk_is_not_forced_to_enrol(client, cast):
    password_step(client, cast.clerk_a)
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/chung-thu/").status_code == 200


def test_a_clerk_who_enrolled_voluntarily_must_enter_a_code_too(client, cast):
    enrolled(cast.clerk_a)
    password_step(client, cast.clerk_a)
    assert client.get("/").url.startswith(VERIFY)


def test_the_admin_site_is_guarded(client, cast):
    password_step(client, cast.admin)
    response = client.get("/quan-tri/")
    assert response.status_code == 302
    assert response.url.startswith(ENROL)
    sign_in(client, cast.admin)
    assert client.get("/quan-tri/").status_code == 200


def test_sign_out_the_language_switch_and_static_files_stay_reachable(client, cast):
    password_step(client, cast.ca_operator)
    assert client.post(reverse("set_language"), {"language": "en", "next": "/"}).status_code == 302
    assert client.get("/static/css/portal.css").status_code == 200
    assert client.get(ENROL).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_htmx_requests_are_sent_to_the_code_page_with_a_client_redirect(client, cast):
    enrolled(cast.officer_1)
    password_step(client, cast.officer_1)
    response = client.get("/", HTTP_HX_REQUEST="true")
    assert response.headers["HX-Redirect"].startswith(VERIFY)


# --- enrolment -------------------------------------------------------------------------------
def test_enrolment_shows_a_server_drawn_qr_code_and_the_typed_secret(client, cast):
    password_step(client, cast.ca_operator)
    body = client.get(ENROL).content.decode()
    device = TOTPDevice.objects.get(user=cast.ca_operator, confirmed=False)
    qr = body[body.index('<figure class="qr-code"') : body.index("</figure>")]
    assert "<svg" in qr
    assert not any(tag in qr for tag in ("<script", "<img", "src=", "href="))
    assert twofactor.secret_base32(device) in body


def test_confirming_enrolment_shows_ten_recovery_codes_once_and_opens_the_portal(client, cast):
    password_step(client, cast.ca_operator)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=cast.ca_operator, confirmed=False)
    response = client.post(ENROL, {"code": code_now(device)})
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10
    stored = StaticToken.objects.filter(device__user=cast.ca_operator)
    assert {c.replace("-", "") for c in codes} == set(stored.values_list("token", flat=True))
    assert client.get("/").status_code == 200
    assert client.get(ENROL).url == reverse("accounts:account")


def test_a_wrong_first_code_does_not_turn_the_second_factor_on(client, cast):
    password_step(client, cast.ca_operator)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=cast.ca_operator, confirmed=False)
    wrong = "000000" if code_now(device) != "000000" else "111111"
    response = client.post(ENROL, {"code": wrong})
    assert response.status_code == 200
    assert not twofactor.two_factor_enabled(cast.ca_operator)
    assert client.get("/").url.startswith(ENROL)


def test_someone_with_only_the_password_cannot_enrol_a_second_authenticator(client, cast):
    enrolled(cast.officer_1)
    password_step(client, cast.officer_1)
    assert client.get(ENROL).url == reverse("accounts:verify")
    assert TOTPDevice.objects.filter(user=cast.officer_1).count() == 1


# --- the account page ------------------------------------------------------------------------
def test_new_recovery_codes_replace_the_old_ones(client, cast):
    old = enrolled(cast.clerk_a)
    sign_in(client, cast.clerk_a)
    response = client.post(reverse("accounts:recovery_codes"), {"code": totp_code(cast.clerk_a)})
    new = {c.replace("-", "") for c in response.context["codes"]}
    stored = set(
        StaticToken.objects.filter(device__user=cast.clerk_a).values_list("token", flat=True)
    )
    assert stored == new
    assert not stored & set(old)


def test_a_clerk_can_turn_the_second_factor_off_with_a_current_code(client, cast):
    enrolled(cast.clerk_a)
    sign_in(client, cast.clerk_a)
    client.post(reverse("accounts:disable"), {"code": totp_code(cast.clerk_a)})
    assert not TOTPDevice.objects.filter(user=cast.clerk_a).exists()
    assert not StaticDevice.objects.filter(user=cast.clerk_a).exists()


def test_an_officer_cannot_turn_the_required_second_factor_off(client, cast):
    enrolled(cast.officer_1)
    sign_in(client, cast.officer_1)
    client.post(reverse("accounts:disable"), {"code": totp_code(cast.officer_1)})
    assert twofactor.two_factor_enabled(cast.officer_1)


# --- the admin's reset -----------------------------------------------------------------------
def test_an_administrator_resets_a_users_second_factor_in_the_admin(client, cast):
    enrolled(cast.officer_1)
    sign_in(client, cast.admin)
    device = TOTPDevice.objects.get(user=cast.officer_1)
    response = client.post(
        reverse("admin:otp_totp_totpdevice_changelist"),
        {"action": "reset_two_factor", "_selected_action": [device.pk]},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=cast.officer_1).exists()
    assert not StaticDevice.objects.filter(user=cast.officer_1).exists()
    event = AuditEvent.objects.get(action="account.2fa_reset")
    assert (event.actor_id, event.object_id) == (cast.admin.pk, str(cast.officer_1.pk))


def test_the_admin_shows_no_totp_secret_and_no_recovery_codes(client, cast):
    codes = enrolled(cast.officer_1)
    sign_in(client, cast.admin)
    device = TOTPDevice.objects.get(user=cast.officer_1)
    page = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    assert page.status_code == 200
    assert device.key not in page.content.decode()
    assert twofactor.secret_base32(device).replace(" ", "") not in page.content.decode()
    index = client.get(reverse("admin:index")).content.decode()
    assert "otp_static" not in index
    assert not any(code in index for code in codes)


# --- audit -----------------------------------------------------------------------------------
def test_every_second_factor_change_and_wrong_code_is_audited_without_secrets(client, cast):
    codes = enrolled(cast.clerk_a)
    password_step(client, cast.clerk_a)
    client.post(VERIFY, {"code": wrong_code(cast.clerk_a)})
    time.sleep(1.1)  # django-otp makes the next try wait a second after a wrong code
    client.post(VERIFY, {"code": codes[0]})
    client.post(reverse("accounts:recovery_codes"), {"code": totp_code(cast.clerk_a)})
    with time_machine.travel(time.time() + 90):  # a fresh code of the app, a minute later
        client.post(reverse("accounts:disable"), {"code": totp_code(cast.clerk_a)})
    assert actions() == [
        "account.2fa_enabled",
        "account.2fa_code_refused",
        "account.2fa_recovery_code_used",
        "account.2fa_recovery_codes_regenerated",
        "account.2fa_disabled",
    ]
    trail = json.dumps(list(AuditEvent.objects.values("before", "after", "reason")))
    assert not any(code in trail for code in codes)


def test_wrong_codes_count_toward_the_lockout_and_end_the_session(client, cast):
    enrolled(cast.officer_1)
    password_step(client, cast.officer_1)
    device = TOTPDevice.objects.get(user=cast.officer_1)
    for _ in range(5):
        device.throttle_reset()  # django-otp's own back-off would refuse to even try
        response = client.post(VERIFY, {"code": wrong_code(cast.officer_1)})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    again = client.post(reverse("login"), {"username": "officer_1", "password": PASSWORD})
    assert again.status_code == 429


# --- other sign-in paths and the demo --------------------------------------------------------
def test_the_admin_sign_in_form_still_works_and_leads_to_the_second_factor(client, cast):
    response = client.post(
        reverse("admin:login"), {"username": "admin", "password": PASSWORD, "next": "/quan-tri/"}
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    assert client.get("/quan-tri/").url.startswith(ENROL)


def test_the_demo_accounts_that_need_a_second_factor_get_the_published_secret_once(db):
    from base64 import b32decode

    from agencies.demo import (
        DEMO_RECOVERY_CODES,
        DEMO_TOTP_SECRET,
        DEMO_TWO_FACTOR_USERNAMES,
        load_demo,
    )

    load_demo()
    load_demo()
    for username in DEMO_TWO_FACTOR_USERNAMES:
        device = TOTPDevice.objects.get(user__username=username)
        assert device.confirmed
        assert device.bin_key == b32decode(DEMO_TOTP_SECRET)
        tokens = StaticToken.objects.filter(device__user__username=username)
        assert sorted(tokens.values_list("token", flat=True)) == sorted(DEMO_RECOVERY_CODES)
