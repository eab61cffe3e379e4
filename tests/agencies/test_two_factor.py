"""The second factor (agencies/accounts/): who must have it, the code step after the password,
enrolment, recovery codes, the admin's reset and their audit events."""

import io
import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.accounts import twofactor
from agencies.models import EnrolmentCode
from portal.models import AuditEvent, Notification
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


def started(user):
    """The first enrolment step done as the user would: with a fresh enrolment code when the
    user must have a second factor. Returns (device, enrolment code id)."""
    code = ""
    if twofactor.enrolment_code_needed(user):
        code = twofactor.enrolment_code_issue(user=user, by=None)
    result = twofactor.enrolment_start(user=user, enrolment_code=code)
    assert result is not None
    return result


def enrolled(user) -> list[str]:
    """Give the user a confirmed authenticator and recovery codes; returns the codes."""
    device, code_id = started(user)
    codes = twofactor.two_factor_enable(
        device=device, code=code_now(device), by=user, enrolment_code_id=code_id
    )
    assert codes is not None
    return codes


def enrol_start_page(client, user, enrolment_code=None):
    """The first step through the page: an enrolment code issued now (or the one given)."""
    if enrolment_code is None:
        enrolment_code = twofactor.enrolment_code_issue(user=user, by=None)
    return client.post(ENROL, {"step": "start", "enrolment_code": enrolment_code})


def stored_tokens(user) -> set[str]:
    return set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))


def hashes(user, codes) -> set[str]:
    return {twofactor.recovery_code_hash(user.pk, code) for code in codes}


def code_now(device) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():06d}"


def skip_the_wait(user):
    """django-otp's doubling wait after a wrong code, passed (the failures stay counted)."""
    TOTPDevice.objects.filter(user=user).update(
        throttling_failure_timestamp=timezone.now() - timedelta(minutes=20)
    )


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


# --- enrolment needs what a password thief lacks ---------------------------
def test_it_refuses_enrolment_without_an_enrolment_code(client, cast):
    password_step(client, cast.officer_1)
    page = client.get(ENROL)
    assert page.status_code == 200
    assert 'class="qr-code"' not in page.content.decode()  # no secret before the code
    assert not TOTPDevice.objects.filter(user=cast.officer_1).exists()
    refused = client.post(ENROL, {"step": "start", "enrolment_code": "abcd-efgh-jkmn"})
    assert "Mã đăng ký không đúng" in refused.content.decode()
    assert not TOTPDevice.objects.filter(user=cast.officer_1).exists()
    # the service refuses too, whoever calls it
    device = twofactor.totp_enrolment_device(user=cast.officer_1)
    with pytest.raises(twofactor.EnrolmentRefused):
        twofactor.two_factor_enable(device=device, code=code_now(device), by=cast.officer_1)
    assert not twofactor.two_factor_enabled(cast.officer_1)
    assert client.get("/").url.startswith(ENROL)
    assert AuditEvent.objects.filter(action="account.2fa_enrolment_code_refused").count() == 2


def test_an_officer_enrols_with_the_administrators_enrolment_code(client, cast):
    code = twofactor.enrolment_code_issue(user=cast.officer_1, by=cast.admin)
    password_step(client, cast.officer_1)
    response = enrol_start_page(client, cast.officer_1, code.upper().replace("-", " "))
    assert response.status_code == 302
    device = TOTPDevice.objects.get(user=cast.officer_1, confirmed=False)
    assert twofactor.secret_base32(device) in client.get(ENROL).content.decode()
    done = client.post(ENROL, {"code": code_now(device)})
    assert len(done.context["codes"]) == 10
    assert twofactor.two_factor_enabled(cast.officer_1)
    assert client.get("/").status_code == 200


def test_an_enrolment_code_works_only_once(client, cast):
    code = twofactor.enrolment_code_issue(user=cast.officer_1, by=cast.admin)
    device, code_id = twofactor.enrolment_start(user=cast.officer_1, enrolment_code=code)
    twofactor.two_factor_enable(
        device=device, code=code_now(device), by=cast.officer_1, enrolment_code_id=code_id
    )
    twofactor.two_factor_reset(user=cast.officer_1, by=cast.admin)
    assert twofactor.enrolment_start(user=cast.officer_1, enrolment_code=code) is None
    row = EnrolmentCode.objects.get(pk=code_id)
    assert row.used_at is not None


def test_an_expired_enrolment_code_is_refused(cast, settings):
    settings.PORTAL_ENROLMENT_CODE_HOURS = 2
    code = twofactor.enrolment_code_issue(user=cast.officer_1, by=cast.admin)
    with time_machine.travel(time.time() + 2 * 3600 + 60):
        assert twofactor.enrolment_start(user=cast.officer_1, enrolment_code=code) is None
    assert twofactor.enrolment_start(user=cast.officer_1, enrolment_code=code) is not None


def test_an_enrolment_code_expiring_between_the_two_steps_enables_nothing(cast, settings):
    settings.PORTAL_ENROLMENT_CODE_HOURS = 1
    code = twofactor.enrolment_code_issue(user=cast.officer_1, by=cast.admin)
    device, code_id = twofactor.enrolment_start(user=cast.officer_1, enrolment_code=code)
    code = code_now(device)
    with (
        time_machine.travel(time.time() + 3600 + 60),
        pytest.raises(twofactor.EnrolmentRefused),
    ):
        twofactor.two_factor_enable(
            device=device, code=code, by=cast.officer_1, enrolment_code_id=code_id
        )
    assert not twofactor.two_factor_enabled(cast.officer_1)


def test_a_new_enrolment_code_withdraws_the_older_one(cast):
    old = twofactor.enrolment_code_issue(user=cast.officer_1, by=cast.admin)
    new = twofactor.enrolment_code_issue(user=cast.officer_1, by=cast.admin)
    assert twofactor.enrolment_start(user=cast.officer_1, enrolment_code=old) is None
    assert twofactor.enrolment_start(user=cast.officer_1, enrolment_code=new) is not None


def test_issuing_and_using_an_enrolment_code_is_audited_and_the_code_is_stored_hashed(cast):
    code = twofactor.enrolment_code_issue(user=cast.officer_1, by=cast.admin)
    device, code_id = twofactor.enrolment_start(user=cast.officer_1, enrolment_code=code)
    twofactor.two_factor_enable(
        device=device, code=code_now(device), by=cast.officer_1, enrolment_code_id=code_id
    )
    issued = AuditEvent.objects.get(action="account.2fa_enrolment_code_issued")
    assert (issued.actor_id, issued.object_id) == (cast.admin.pk, str(cast.officer_1.pk))
    enabled = AuditEvent.objects.get(action="account.2fa_enabled")
    assert enabled.after["enrolment_code"] == code_id
    plain = twofactor.normalise_code(code)
    stored = json.dumps(list(EnrolmentCode.objects.values()), default=str)
    trail = json.dumps(list(AuditEvent.objects.values("before", "after", "reason")))
    assert plain not in stored and code not in stored
    assert plain not in trail and code not in trail


def test_the_management_command_prints_an_enrolment_code_that_enrols(cast):
    out = io.StringIO()
    call_command("enrolment_code_issue", "officer_1", stdout=out)
    code = out.getvalue().split(": ", 1)[1].split()[0]
    assert twofactor.enrolment_start(user=cast.officer_1, enrolment_code=code) is not None
    assert AuditEvent.objects.filter(action="account.2fa_enrolment_code_issued").count() == 1


def test_the_admin_reset_needs_a_new_enrolment_code_and_shows_it_once(client, cast):
    enrolled(cast.officer_1)
    unused = twofactor.enrolment_code_issue(user=cast.officer_1, by=cast.admin)
    sign_in(client, cast.admin)
    device = TOTPDevice.objects.get(user=cast.officer_1)
    page = client.post(
        reverse("admin:otp_totp_totpdevice_changelist"),
        {"action": "reset_two_factor", "_selected_action": [device.pk]},
    )
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    (user, shown), *_ = page.context["issued"]
    assert user == cast.officer_1 and shown in page.content.decode()
    assert twofactor.enrolment_start(user=cast.officer_1, enrolment_code=unused) is None
    assert twofactor.enrolment_start(user=cast.officer_1, enrolment_code=shown) is not None


def test_an_administrator_issues_an_enrolment_code_in_the_admin(client, cast):
    sign_in(client, cast.admin)
    page = client.post(reverse("admin:agencies_enrolmentcode_add"), {"user": cast.officer_1.pk})
    assert page.status_code == 200
    (user, shown), *_ = page.context["issued"]
    assert user == cast.officer_1
    assert twofactor.enrolment_start(user=cast.officer_1, enrolment_code=shown) is not None
    listing = client.get(reverse("admin:agencies_enrolmentcode_changelist")).content.decode()
    assert "officer_1" in listing and shown not in listing


def test_a_voluntary_enrolment_needs_the_password_again(client, cast):
    password_step(client, cast.clerk_a)
    assert client.post(ENROL, {"step": "start", "reauth_password": "sai"}).status_code == 200
    assert not TOTPDevice.objects.filter(user=cast.clerk_a).exists()
    assert client.post(ENROL, {"step": "start", "reauth_password": PASSWORD}).status_code == 302
    device = TOTPDevice.objects.get(user=cast.clerk_a, confirmed=False)
    client.post(ENROL, {"code": code_now(device)})
    assert twofactor.two_factor_enabled(cast.clerk_a)


def test_the_first_enrolment_is_told_to_the_user_and_their_agency(cast):
    enrolled(cast.clerk_a)
    told = Notification.objects.filter(kind="account.2fa_enabled")
    assert set(told.values_list("user__username", flat=True)) == {"clerk_a", "head_a"}
    assert "clerk_a" in told.get(user=cast.head_a).message
    enrolled(cast.officer_1)
    assert told.filter(user=cast.officer_1).count() == 1


# --- recovery codes stored hashed (item 3) -----------------------------------------------------
def test_no_recovery_code_is_readable_in_the_database(cast):
    codes = enrolled(cast.officer_1)
    rows = json.dumps(list(StaticToken.objects.values()))
    for code in codes:
        assert code not in rows
        assert twofactor.format_recovery_code(code) not in rows
    assert len(stored_tokens(cast.officer_1)) == 10


def test_a_recovery_code_is_accepted_with_or_without_hyphens_spaces_and_capitals(client, cast):
    codes = enrolled(cast.officer_1)
    for typed in (
        codes[0],
        twofactor.format_recovery_code(codes[1]).upper(),
        f" {codes[2][:4]} {codes[2][4:]} ",
    ):
        password_step(client, cast.officer_1)
        assert client.post(VERIFY, {"code": typed}).status_code == 302, typed
        client.logout()


def test_the_demo_recovery_codes_work_as_the_readme_prints_them_and_without_hyphens(client, db):
    from agencies.demo import DEMO_RECOVERY_CODES, load_demo

    load_demo()
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert all(f"`{code}`" in readme for code in DEMO_RECOVERY_CODES)
    for typed in (DEMO_RECOVERY_CODES[0], DEMO_RECOVERY_CODES[1].replace("-", "")):
        client.post(reverse("login"), {"username": "so.khcn", "password": "Demo@2026"})
        assert client.post(VERIFY, {"code": typed}).status_code == 302, typed
        client.logout()


# --- the code window (item 4) ------------------------------------------------------------------
STEP = 30
BASE = (int(time.time()) // STEP + 10) * STEP + 15  # the middle of a step, a little ahead


def code_at(device, step_offset: int, now: float) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, 0)
    totp.time = now + step_offset * STEP
    return f"{totp.token():06d}"


def sign_in_with(client, user, code) -> bool:
    client.logout()
    password_step(client, user)
    client.post(VERIFY, {"code": code})
    TOTPDevice.objects.filter(user=user).update(throttling_failure_count=0)
    return client.get("/").status_code == 200


def test_a_code_one_step_either_way_of_real_time_is_accepted(client, cast):
    with time_machine.travel(BASE, tick=False):
        enrolled(cast.officer_1)
    device = TOTPDevice.objects.get(user=cast.officer_1)
    with time_machine.travel(BASE + 5 * STEP, tick=False):
        assert sign_in_with(client, cast.officer_1, code_at(device, -1, BASE + 5 * STEP))
    with time_machine.travel(BASE + 10 * STEP, tick=False):
        assert sign_in_with(client, cast.officer_1, code_at(device, +1, BASE + 10 * STEP))


def test_a_code_two_steps_old_is_refused_even_after_a_slow_app_was_accepted(client, cast):
    with time_machine.travel(BASE, tick=False):
        enrolled(cast.officer_1)
    device = TOTPDevice.objects.get(user=cast.officer_1)
    now = BASE + 5 * STEP
    with time_machine.travel(now, tick=False):
        assert sign_in_with(client, cast.officer_1, code_at(device, -1, now))  # a slow app
    now = BASE + 10 * STEP
    with time_machine.travel(now, tick=False):
        assert not sign_in_with(client, cast.officer_1, code_at(device, -2, now))


def test_codes_two_and_three_steps_ahead_are_refused_after_a_fast_app_was_accepted(client, cast):
    with time_machine.travel(BASE, tick=False):
        enrolled(cast.officer_1)
    device = TOTPDevice.objects.get(user=cast.officer_1)
    now = BASE + 5 * STEP
    with time_machine.travel(now, tick=False):  # a fast app, twice: a drift of +2 learned
        assert sign_in_with(client, cast.officer_1, code_at(device, +1, now))
    now = BASE + 10 * STEP
    with time_machine.travel(now, tick=False):
        assert sign_in_with(client, cast.officer_1, code_at(device, +1, now))
    now = BASE + 20 * STEP
    with time_machine.travel(now, tick=False):
        assert not sign_in_with(client, cast.officer_1, code_at(device, +2, now))
        assert not sign_in_with(client, cast.officer_1, code_at(device, +3, now))


# --- throttling each factor and the address (item 5) ------------------------------------------
def test_fifty_wrong_codes_for_one_account_leave_another_account_behind_the_address_signing_in(
    client, cast
):
    enrolled(cast.officer_1)
    enrolled(cast.officer_2)
    for number in range(50):
        if "_auth_user_id" not in client.session:
            password_step(client, cast.officer_1)
        wrong = "000000" if number % 2 else "zzzz-zzzz"
        client.post(VERIFY, {"code": wrong}, REMOTE_ADDR="127.0.0.1")
    client.logout()
    other = Client()
    password_step(other, cast.officer_2)
    response = other.post(VERIFY, {"code": totp_code(cast.officer_2)})
    assert response.status_code == 302
    assert other.get("/").status_code == 200


def test_wrong_authenticator_codes_lock_that_factor_but_a_recovery_code_still_signs_in(
    client, cast, settings
):
    codes = enrolled(cast.officer_1)
    password_step(client, cast.officer_1)
    device = TOTPDevice.objects.get(user=cast.officer_1)
    for _ in range(settings.PORTAL_2FA_FAILURE_LIMIT):
        skip_the_wait(cast.officer_1)
        client.post(VERIFY, {"code": wrong_code(cast.officer_1)})
    assert TOTPDevice.objects.get(pk=device.pk).throttling_failure_count == 5
    locked = client.post(VERIFY, {"code": totp_code(cast.officer_1)})
    assert locked.status_code == 200
    assert "tạm khóa" in locked.content.decode()
    assert "_auth_user_id" in client.session  # the session stays, for the other factor
    assert client.post(VERIFY, {"code": codes[0]}).status_code == 302
    assert client.get("/").status_code == 200


def test_wrong_codes_do_not_lock_the_password(client, cast, settings):
    enrolled(cast.officer_1)
    password_step(client, cast.officer_1)
    for _ in range(settings.PORTAL_2FA_FAILURE_LIMIT + 2):
        skip_the_wait(cast.officer_1)
        client.post(VERIFY, {"code": wrong_code(cast.officer_1)})
    client.logout()
    again = client.post(reverse("login"), {"username": "officer_1", "password": PASSWORD})
    assert again.status_code == 302


def test_a_locked_factor_opens_again_after_the_cool_off(client, cast, settings):
    enrolled(cast.officer_1)
    password_step(client, cast.officer_1)
    for _ in range(settings.PORTAL_2FA_FAILURE_LIMIT):
        skip_the_wait(cast.officer_1)
        client.post(VERIFY, {"code": wrong_code(cast.officer_1)})
    later = time.time() + settings.AXES_COOLOFF_TIME.total_seconds() + 60
    with time_machine.travel(later):
        assert client.post(VERIFY, {"code": totp_code(cast.officer_1)}).status_code == 302


def test_the_address_limit_locks_the_code_step_from_that_address(client, cast, settings):
    settings.PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT = 6
    enrolled(cast.officer_1)
    password_step(client, cast.officer_1)
    for _ in range(6):
        client.post(VERIFY, {"code": "zzzz-zzzz"})
    response = client.post(VERIFY, {"code": totp_code(cast.officer_1)})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_migration_hashes_recovery_codes_stored_in_clear_and_they_keep_working(client, cast):
    from importlib import import_module

    from django.apps import apps

    enrolled(cast.officer_1)
    device = StaticDevice.objects.get(user=cast.officer_1)
    device.token_set.all().delete()
    device.token_set.create(token="abcd2345")  # as stored before
    import_module("agencies.migrations.0008_hash_recovery_codes").hash_stored_codes(apps, None)
    assert stored_tokens(cast.officer_1) == hashes(cast.officer_1, ["abcd2345"])
    password_step(client, cast.officer_1)
    assert client.post(VERIFY, {"code": "abcd-2345"}).status_code == 302
