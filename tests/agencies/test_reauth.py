"""Re-authentication before the actions the lifecycle table marks `reauth`: the agency head's
"Ký, ban hành", processing at the province or the CA, resuming processing. The password (and,
with a second-factor device, a one-time code) is asked for again; a wrong one changes nothing
and is audited (agencies/accounts/reauth.py)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.models import AuditEvent
from requests_app.choices import FormKind, Status
from requests_app.lifecycle import ACTIONS, BUTTONS
from requests_app.models import CertRequest, Transition
from tests.helpers import PASSWORD, reauth_for, sign_in
from tests.requests_app.letters import letter_at, page_messages, signing_ready

pytestmark = pytest.mark.django_db


def act(client, letter, action, **data):
    return client.post(reverse("requests_app:action", args=[letter.pk, action]), data)


def status_of(letter) -> str:
    return CertRequest.objects.values_list("status", flat=True).get(pk=letter.pk)


def reauth_failures(user, letter) -> list[dict]:
    return list(
        AuditEvent.objects.filter(
            action="account.reauth_failed", actor=user, object_id=str(letter.pk)
        ).values_list("after", flat=True)
    )


# --- the agency head issuing ---------------------------------------------------------------
def test_the_head_cannot_issue_without_reentering_the_password(cast, client):
    letter = letter_at(cast, Status.AWAITING_HEAD)
    sign_in(client, cast.head_a)

    response = act(client, letter, "issue", number="21/STC-VP")

    assert response.status_code == 302
    assert status_of(letter) == Status.AWAITING_HEAD
    assert not Transition.objects.filter(cert_request=letter, action="issue").exists()
    assert any("nhập lại mật khẩu" in m for m in page_messages(client, letter))


def test_a_wrong_password_leaves_the_letter_awaiting_the_head_and_is_audited(cast, client):
    letter = letter_at(cast, Status.AWAITING_HEAD)
    sign_in(client, cast.head_a)

    act(client, letter, "issue", reauth_password="mat-khau-sai")

    assert status_of(letter) == Status.AWAITING_HEAD
    assert reauth_failures(cast.head_a, letter) == [
        {"purpose": "issue", "problem": "password_wrong"}
    ]
    assert any("Mật khẩu xác nhận không đúng" in m for m in page_messages(client, letter))
    # one event for the failure, not a second one as a failed sign-in
    assert not AuditEvent.objects.filter(action="account.login_failed").exists()


def test_the_right_password_issues_the_letter(cast, client):
    letter = letter_at(cast, Status.AWAITING_HEAD)
    signing_ready(cast)
    sign_in(client, cast.head_a)

    act(client, letter, "issue", number="22/STC-VP", reauth_password=PASSWORD)

    assert status_of(letter) == Status.ISSUED  # the worker signs it next
    assert reauth_failures(cast.head_a, letter) == []


def test_another_users_password_does_not_confirm_the_heads_action(cast, client):
    letter = letter_at(cast, Status.AWAITING_HEAD)
    cast.clerk_a.set_password("mat-khau-cua-can-bo")
    cast.clerk_a.save()
    sign_in(client, cast.head_a)

    act(client, letter, "issue", reauth_password="mat-khau-cua-can-bo")

    assert status_of(letter) == Status.AWAITING_HEAD


def test_a_user_without_the_right_gets_403_before_any_question_about_the_password(cast, client):
    letter = letter_at(cast, Status.AWAITING_HEAD)
    sign_in(client, cast.clerk_a)

    assert act(client, letter, "issue").status_code == 403
    assert reauth_failures(cast.clerk_a, letter) == []


# --- processing at the CA and at the province ----------------------------------------------
PROCESSORS = [
    pytest.param("ca_operator", Status.FORWARDED, FormKind.ISSUE_PERSON, id="ca-operator"),
    pytest.param(
        "officer_1", Status.PROVINCE_REVIEW, FormKind.RENEW_CHANGE, id="provincial-officer"
    ),
]


@pytest.mark.parametrize(("persona", "stage", "form"), PROCESSORS)
def test_processing_without_the_password_leaves_the_letter_where_it_was(
    cast, client, persona, stage, form
):
    letter = letter_at(cast, stage, form, accepted=True)
    sign_in(client, getattr(cast, persona))

    act(client, letter, "process")

    assert status_of(letter) == stage
    assert reauth_failures(getattr(cast, persona), letter) == [
        {"purpose": "process", "problem": "password_missing"}
    ]


@pytest.mark.parametrize(("persona", "stage", "form"), PROCESSORS)
def test_processing_with_a_wrong_password_leaves_the_letter_and_is_audited(
    cast, client, persona, stage, form
):
    letter = letter_at(cast, stage, form, accepted=True)
    sign_in(client, getattr(cast, persona))

    act(client, letter, "process", reauth_password=PASSWORD.upper())

    assert status_of(letter) == stage
    assert reauth_failures(getattr(cast, persona), letter) == [
        {"purpose": "process", "problem": "password_wrong"}
    ]


@pytest.mark.parametrize(("persona", "stage", "form"), PROCESSORS)
def test_processing_with_the_right_password_starts_processing(cast, client, persona, stage, form):
    letter = letter_at(cast, stage, form, accepted=True)
    sign_in(client, getattr(cast, persona))

    act(client, letter, "process", **reauth_for(client))

    assert status_of(letter) == Status.IN_PROCESS


def test_resuming_a_stalled_letter_asks_for_the_password_too(cast, client, settings):
    letter = letter_at(cast, Status.FORWARDED, accepted=True)
    sign_in(client, cast.ca_operator)
    act(client, letter, "process", **reauth_for(client))
    stalled_at = timezone.now() - timedelta(seconds=settings.PORTAL_PROCESSING_STALL_SECONDS + 60)
    CertRequest.objects.filter(pk=letter.pk).update(progress_at=stalled_at)

    act(client, letter, "resume")

    assert CertRequest.objects.get(pk=letter.pk).progress_at == stalled_at
    assert reauth_failures(cast.ca_operator, letter) == [
        {"purpose": "resume", "problem": "password_missing"}
    ]


# --- a second factor -----------------------------------------------------------------------
@pytest.fixture
def head_with_device(cast):
    return TOTPDevice.objects.create(user=cast.head_a, name="Điện thoại", confirmed=True)


def current_code(device) -> str:
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"


def wrong_code(device) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    near = set()
    for offset in (-2, -1, 0, 1, 2):  # every code the device's tolerance could accept
        totp.drift = offset
        near.add(f"{totp.token():06d}")
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in near)


def test_a_user_with_a_device_cannot_issue_with_the_password_alone(cast, client, head_with_device):
    letter = letter_at(cast, Status.AWAITING_HEAD)
    sign_in(client, cast.head_a)

    act(client, letter, "issue", reauth_password=PASSWORD)

    assert status_of(letter) == Status.AWAITING_HEAD
    assert reauth_failures(cast.head_a, letter) == [{"purpose": "issue", "problem": "code_missing"}]


def test_a_wrong_code_leaves_the_letter_and_is_audited(cast, client, head_with_device):
    letter = letter_at(cast, Status.AWAITING_HEAD)
    sign_in(client, cast.head_a)

    act(
        client,
        letter,
        "issue",
        reauth_password=PASSWORD,
        reauth_code=wrong_code(head_with_device),
    )

    assert status_of(letter) == Status.AWAITING_HEAD
    assert reauth_failures(cast.head_a, letter) == [{"purpose": "issue", "problem": "code_wrong"}]


def test_the_password_and_a_valid_code_issue_the_letter(cast, client, head_with_device):
    letter = letter_at(cast, Status.AWAITING_HEAD)
    signing_ready(cast)
    sign_in(client, cast.head_a)

    act(
        client,
        letter,
        "issue",
        reauth_password=PASSWORD,
        reauth_code=current_code(head_with_device),
    )

    assert status_of(letter) == Status.ISSUED


# --- the form on the page comes from the table ---------------------------------------------
def test_the_table_marks_issuing_processing_resuming_and_retrying_for_reauthentication():
    assert {name for name, action in ACTIONS.items() if action.reauth} == {
        "issue",
        "process",
        "resume",
        "retry",
    }


def test_the_form_of_every_action_marked_reauth_asks_for_the_password(cast, client):
    letter = letter_at(cast, Status.FORWARDED, accepted=True)
    sign_in(client, cast.ca_operator)

    page = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()

    for action in BUTTONS:
        if action.name in {"process", "return", "refuse"}:  # what the CA may do here
            field = f'id="xac-nhan-mat-khau-{action.name}"'
            assert (field in page) == action.reauth, action.name
    # A CA operator must have an authenticator (agencies/accounts/twofactor.py): a code too.
    assert 'name="reauth_code"' in page


def test_the_form_asks_for_a_code_only_from_a_user_with_a_device(cast, client, head_with_device):
    letter = letter_at(cast, Status.AWAITING_HEAD)
    sign_in(client, cast.head_a)

    page = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()

    assert 'id="xac-nhan-ma-issue"' in page


def test_reauthenticating_with_a_recovery_code_leaves_the_authenticator_usable(cast, client):
    from tests.helpers import totp_code

    sign_in(client, cast.officer_1)  # a confirmed authenticator, a verified session
    for number in range(6):
        response = client.post(
            reverse("accounts:api_tokens"),
            {"name": f"e-office {number}", "days": 30, **reauth_for(client)},
        )
        assert response.status_code in (200, 302)
    assert cast.officer_1.api_tokens.count() == 6  # each confirmed by a recovery code
    device = TOTPDevice.objects.get(user=cast.officer_1)
    assert device.throttling_failure_count == 0
    client.logout()
    client.post(reverse("login"), {"username": "officer_1", "password": PASSWORD})
    response = client.post(reverse("accounts:verify"), {"code": totp_code(cast.officer_1)})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
