"""The second factor (agencies/accounts/): who must have it, the code step after the password,
enrolment, the account page, the admin's reset and their audit events."""

import json
import time

import pytest
import time_machine
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.accounts import twofactor
from approvals.choices import ApprovalAction
from approvals.models import ApprovalRule
from portal.models import AuditEvent
from tests.agencies.twofactor_steps import (
    ENROL,
    PASSWORD,
    VERIFY,
    actions,
    code_now,
    enrol_start_page,
    enrolled,
    hashes,
    password_step,
    started,
    stored_tokens,
    wrong_code,
)
from tests.helpers import sign_in, totp_code

pytestmark = pytest.mark.django_db


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
        device, code_id = started(cast.officer_1)
        used = code_now(device)
        assert twofactor.two_factor_enable(
            device=device, code=used, by=cast.officer_1, enrolment_code_id=code_id
        )
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
    enrol_start_page(client, cast.ca_operator)
    body = client.get(ENROL).content.decode()
    device = TOTPDevice.objects.get(user=cast.ca_operator, confirmed=False)
    qr = body[body.index('<figure class="qr-code"') : body.index("</figure>")]
    assert "<svg" in qr
    assert not any(tag in qr for tag in ("<script", "<img", "src=", "href="))
    assert twofactor.secret_base32(device) in body


def test_confirming_enrolment_shows_ten_recovery_codes_once_and_opens_the_portal(client, cast):
    password_step(client, cast.ca_operator)
    enrol_start_page(client, cast.ca_operator)
    device = TOTPDevice.objects.get(user=cast.ca_operator, confirmed=False)
    response = client.post(ENROL, {"code": code_now(device)})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    codes = response.context["codes"]
    assert len(codes) == 10
    assert stored_tokens(cast.ca_operator) == hashes(cast.ca_operator, codes)
    assert client.get("/").status_code == 200
    assert client.get(ENROL).url == reverse("accounts:account")


def test_a_wrong_first_code_does_not_turn_the_second_factor_on(client, cast):
    password_step(client, cast.ca_operator)
    enrol_start_page(client, cast.ca_operator)
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
    new = response.context["codes"]
    assert stored_tokens(cast.clerk_a) == hashes(cast.clerk_a, new)
    assert not stored_tokens(cast.clerk_a) & hashes(cast.clerk_a, old)


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
    # Where a rule needs no second person, the admin resets at once (docs/approvals.md;
    # the default, a request waiting for approval, is tests/approvals/test_two_factor_reset.py).
    ApprovalRule.objects.create(action=ApprovalAction.TWO_FACTOR_RESET, required=False)
    enrolled(cast.officer_1)
    sign_in(client, cast.admin)
    device = TOTPDevice.objects.get(user=cast.officer_1)
    response = client.post(
        reverse("admin:otp_totp_totpdevice_changelist"),
        {"action": "reset_two_factor", "_selected_action": [device.pk]},
    )
    assert response.status_code == 200  # the new enrolment codes, shown once
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
        assert stored_tokens(device.user) == hashes(device.user, DEMO_RECOVERY_CODES)
