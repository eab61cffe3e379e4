"""The pages around a remote-signing credential (docs/remote-signing.md, "The holder's pages"):
the CA operator issues the activation code from the device's page; the holder activates with
it and a new signing PIN and binds the authenticator from the secret shown once; the holder's
list shows state and last use and locks a credential at once. Each refusal changes nothing."""

import re

import pytest
from django.urls import reverse

from portal.models import AuditEvent
from remote_signing.choices import ControlState
from remote_signing.models import SoleControl
from remote_signing.rules import RemoteSigningRefused
from tests.helpers import sign_in
from tests.remote_signing.world import PIN, Holder, activated, credential_of, digest_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ca")]


def issued_code(client, cast, credential) -> str:
    sign_in(client, cast.ca_operator)
    page = client.get(reverse("devices:detail", args=[credential.device_id])).content.decode()
    assert reverse("remote_signing:code_issue", args=[credential.credential_id]) in page
    shown = client.post(reverse("remote_signing:code_issue", args=[credential.credential_id]))
    assert shown.status_code == 200
    return re.search(r"data-activation-code>([a-z0-9-]+)<", shown.content.decode()).group(1)


def test_the_holder_activates_with_the_cas_code_and_signs_with_the_app_bound_from_the_page(
    client, cast
):
    credential = credential_of(cast)
    code = issued_code(client, cast, credential)
    sign_in(client, cast.subscriber.user)
    url = reverse("remote_signing:activate", args=[credential.credential_id])

    shown = client.post(url, {"code": code, "pin": PIN, "pin_again": PIN})

    page = shown.content.decode()
    assert shown.status_code == 200 and "<svg" in page
    secret = re.search(r"data-secret>([A-Z2-7 ]+)<", page).group(1).replace(" ", "")
    holder = Holder(cast.subscriber.user, credential, secret)
    token = holder.authorize([digest_of("Công văn 1")])
    assert holder.sign(token, [digest_of("Công văn 1")])


def test_a_wrong_activation_code_is_refused_and_changes_nothing(client, cast):
    credential = credential_of(cast)
    issued_code(client, cast, credential)
    sign_in(client, cast.subscriber.user)

    refused = client.post(
        reverse("remote_signing:activate", args=[credential.credential_id]),
        {"code": "aaaa-bbbb-cccc-dddd", "pin": PIN, "pin_again": PIN},
    )

    assert refused.status_code == 400
    assert "Mã kích hoạt không đúng hoặc đã hết hạn." in refused.content.decode()
    assert SoleControl.objects.get(credential=credential).state == ControlState.AWAITING_ACTIVATION


def test_two_different_pins_are_refused_before_the_code_is_tried(client, cast):
    credential = credential_of(cast)
    code = issued_code(client, cast, credential)
    sign_in(client, cast.subscriber.user)

    answer = client.post(
        reverse("remote_signing:activate", args=[credential.credential_id]),
        {"code": code, "pin": PIN, "pin_again": "135791"},
    )

    assert "Hai lần nhập mã PIN không giống nhau." in answer.content.decode()
    assert SoleControl.objects.get(credential=credential).state == ControlState.AWAITING_ACTIVATION


def test_only_a_ca_operator_issues_an_activation_code(client, cast):
    credential = credential_of(cast)
    sign_in(client, cast.clerk_a)

    answer = client.post(reverse("remote_signing:code_issue", args=[credential.credential_id]))

    assert answer.status_code == 403
    assert not AuditEvent.objects.filter(action="remote_credential.code_issue").exists()


def test_the_holder_sees_state_and_last_use_and_locks_now(client, cast):
    holder = activated(cast)
    digest = digest_of("Báo cáo tháng 10")
    holder.sign(holder.authorize([digest]), [digest])
    sign_in(client, holder.user)

    page = client.get(reverse("remote_signing:mine")).content.decode()
    assert holder.credential.credential_id in page and "Đang dùng" in page
    last_used = SoleControl.objects.get(credential=holder.credential).last_used_at
    assert last_used is not None

    client.post(reverse("remote_signing:lock", args=[holder.credential.credential_id]))

    assert SoleControl.objects.get(credential=holder.credential).state == ControlState.LOCKED
    assert AuditEvent.objects.filter(action="remote_credential.lock", actor=holder.user).exists()
    assert "Bị khóa" in client.get(reverse("remote_signing:mine")).content.decode()
    with pytest.raises(RemoteSigningRefused) as refused:
        holder.authorize([digest])
    assert refused.value.code == "locked"


def test_another_person_cannot_lock_or_activate_a_credential(client, cast):
    holder = activated(cast)
    sign_in(client, cast.clerk_a)

    locked = client.post(reverse("remote_signing:lock", args=[holder.credential.credential_id]))
    activate = client.get(
        reverse("remote_signing:activate", args=[holder.credential.credential_id])
    )

    assert (locked.status_code, activate.status_code) == (404, 404)
    assert SoleControl.objects.get(credential=holder.credential).state == ControlState.ACTIVE
