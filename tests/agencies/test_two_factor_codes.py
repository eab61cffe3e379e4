"""The codes of the second factor (agencies/accounts/): recovery codes stored hashed, the
accepted time window of authenticator codes, and the throttling of each factor and address."""

import json
import time
from pathlib import Path

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.accounts import twofactor
from tests.agencies.twofactor_steps import (
    PASSWORD,
    VERIFY,
    enrolled,
    hashes,
    password_step,
    skip_the_wait,
    stored_tokens,
    wrong_code,
)
from tests.helpers import totp_code

pytestmark = pytest.mark.django_db


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
