"""Enrolling a second factor needs what a password thief lacks: an enrolment code issued by an
administrator (agencies/accounts/), used once, expiring, audited and stored hashed."""

import io
import json
import time

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.accounts import twofactor
from agencies.models import EnrolmentCode
from approvals.choices import ApprovalAction
from approvals.models import ApprovalRule
from portal.models import AuditEvent, Notification
from tests.agencies.twofactor_steps import (
    ENROL,
    PASSWORD,
    code_now,
    enrol_start_page,
    enrolled,
    password_step,
)
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


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
    # Where a rule needs no second person, the admin resets at once (docs/approvals.md;
    # the default, a request waiting for approval, is tests/approvals/test_two_factor_reset.py).
    ApprovalRule.objects.create(action=ApprovalAction.TWO_FACTOR_RESET, required=False)
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
