"""The steps the second-factor tests take: signing in, enrolling, reading codes and events."""

import time
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.accounts import twofactor
from portal.models import AuditEvent
from tests.helpers import totp_code

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
