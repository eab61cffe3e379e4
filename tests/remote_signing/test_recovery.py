"""A remote credential's custody and its Mẫu 06 (docs/remote-signing.md, "Mẫu 06"): the
activation hands the credential to its holder, a lock (wrong PINs or "lock now") locks the
device with it, no activation code reaches a locked credential without a Mẫu 06, and the CA's
processing of the Mẫu 06 reopens it for a new activation with a new PIN and authenticator."""

import importlib

import pytest
from django.apps import apps

from certificates.choices import SIGNATURE_KINDS, SigningEventKind
from certificates.models import SigningEvent
from certificates.services import certificate_revoke
from devices.choices import DeviceKind, DeviceStatus
from devices.models import CustodyRecord, Device
from devices.permissions import device_actions
from portal.models import AuditEvent
from remote_signing import services
from remote_signing.choices import ControlState
from remote_signing.models import SoleControl
from remote_signing.rules import RemoteSigningRefused
from requests_app import services as letters
from requests_app.choices import FormKind, Outcome, Status
from tests import factories as f
from tests.remote_signing.world import PIN, Holder, activated, credential_of, digest_of
from tests.requests_app.letters import CONTACT, issue_signed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ca")]
NEW_PIN = "13579135"


def _refused(call) -> str:
    with pytest.raises(RemoteSigningRefused) as refused:
        call()
    return refused.value.code


def _status(holder) -> str:
    return Device.objects.get(pk=holder.credential.device_id).status


def _recovered(cast, device):
    """Mẫu 06 for `device`: drafted and issued by agency A, forwarded by the Sở KH&CN to the
    CA (not a USB token), accepted and processed by the CA."""
    letter = letters.cert_request_create(
        agency=cast.agency_a, form=FormKind.RECOVER_DEVICE, by=cast.clerk_a, **CONTACT
    )
    letters.row_save(cert_request=letter, by=cast.clerk_a, data={"device": device})
    letters.cert_request_submit(cert_request=letter, by=cast.clerk_a)
    issue_signed(cast, letter)
    letters.cert_request_forward(cert_request=letter, by=cast.officer_1)
    letters.cert_request_accept_valid_rows(cert_request=letter, by=cast.ca_operator)
    letters.cert_request_process(cert_request=letter, by=cast.ca_operator)
    letters.cert_request_run_processing(cert_request_id=letter.pk)
    letter.refresh_from_db()
    return letter


def test_the_activation_hands_the_credential_to_its_holder(cast):
    credential = credential_of(cast)
    assert credential.device.status == DeviceStatus.DELIVERED_TO_AGENCY
    code = services.activation_code_issue(credential=credential, by=cast.ca_operator)

    services.credential_activate(credential=credential, code=code, pin=PIN, by=cast.subscriber.user)

    device = Device.objects.get(pk=credential.device_id)
    assert device.status == DeviceStatus.HANDED_TO_SUBSCRIBER
    held = CustodyRecord.objects.get(device=device, held_until__isnull=True)
    assert held.person == cast.subscriber and held.handed_by == cast.subscriber.user


def test_the_last_wrong_pin_locks_the_device_with_the_credential(holder, settings):
    settings.REMOTE_SIGNING_MAX_PIN_TRIES = 3
    for _ in range(2):
        assert _refused(lambda: holder.authorize([digest_of("x")], pin="000000")) == "invalid_pin"
    assert _status(holder) == DeviceStatus.HANDED_TO_SUBSCRIBER  # one try left: not locked

    assert _refused(lambda: holder.authorize([digest_of("x")], pin="000000")) == "locked"

    assert _status(holder) == DeviceStatus.LOCKED
    assert AuditEvent.objects.filter(
        action="device.lock_itself", object_id=str(holder.credential.device_id)
    ).exists()


def test_lock_now_locks_the_device_and_reaches_the_monitor(holder):
    services.credential_lock(credential=holder.credential, by=holder.user)
    assert _status(holder) == DeviceStatus.LOCKED
    event = SigningEvent.objects.get()
    assert event.kind == SigningEventKind.REMOTE_LOCK
    assert event.certificate.device_id == holder.credential.device_id
    assert event.kind not in SIGNATURE_KINDS  # a lock is not a signature


def test_no_code_reaches_a_locked_credential_without_a_mau_06(cast, holder):
    services.credential_lock(credential=holder.credential, by=holder.user)

    assert (
        _refused(
            lambda: services.activation_code_issue(
                credential=holder.credential, by=cast.ca_operator
            )
        )
        == "locked"
    )
    assert SoleControl.objects.get(credential=holder.credential).state == ControlState.LOCKED


def test_no_clerk_hands_over_or_records_the_lock_of_a_remote_credential(cast, holder):
    token = f.DeviceFactory(agency=cast.agency_a, status=DeviceStatus.HANDED_TO_SUBSCRIBER)
    remote = Device.objects.get(pk=holder.credential.device_id)
    assert "lock" in device_actions(cast.clerk_a, token)
    assert "lock" not in device_actions(cast.clerk_a, remote)
    delivered = credential_of(cast, f.PersonFactory(organization=cast.agency_a)).device
    assert "hand_over" not in device_actions(cast.clerk_a, delivered)
    stock = f.DeviceFactory(agency=cast.agency_a, status=DeviceStatus.DELIVERED_TO_AGENCY)
    assert "hand_over" in device_actions(cast.clerk_a, stock)


def test_a_mau_06_reopens_a_locked_credential_for_a_new_pin(cast, holder):
    services.credential_lock(credential=holder.credential, by=holder.user)
    device = Device.objects.get(pk=holder.credential.device_id)
    assert device.kind == DeviceKind.RSSP

    letter = _recovered(cast, device)

    assert letter.status == Status.DONE
    assert letter.rows.get().outcome == Outcome.DONE
    control = SoleControl.objects.get(credential=holder.credential)
    assert control.state == ControlState.AWAITING_ACTIVATION
    assert (control.pin_hash, control.totp_key, control.failed_pins) == ("", "", 0)
    assert _status(holder) == DeviceStatus.HANDED_TO_SUBSCRIBER
    reopened = AuditEvent.objects.get(action="remote_credential.reopen")
    assert reopened.reason == letter.number
    changes = SigningEvent.objects.filter(
        kind__in=[SigningEventKind.REMOTE_LOCK, SigningEventKind.REMOTE_UNLOCK]
    ).order_by("pk")
    assert list(changes.values_list("kind", flat=True)) == [
        SigningEventKind.REMOTE_LOCK,
        SigningEventKind.REMOTE_UNLOCK,
    ]
    assert _refused(lambda: holder.authorize([digest_of("x")])) == "not_activated"

    code = services.activation_code_issue(credential=holder.credential, by=cast.ca_operator)
    secret = services.credential_activate(
        credential=holder.credential, code=code, pin=NEW_PIN, by=holder.user
    )
    again = Holder(holder.user, holder.credential, secret)
    assert _refused(lambda: again.authorize([digest_of("y")], pin=PIN)) == "invalid_pin"
    token = again.authorize([digest_of("y")], pin=NEW_PIN)
    assert len(again.sign(token, [digest_of("y")])) == 1


def test_a_mau_06_of_a_device_locked_by_hand_reopens_its_active_credential_too(cast, holder):
    # Recorded locked by a clerk, as before the device followed its credential.
    Device.objects.filter(pk=holder.credential.device_id).update(status=DeviceStatus.LOCKED)
    device = Device.objects.get(pk=holder.credential.device_id)

    letter = _recovered(cast, device)

    assert letter.rows.get().outcome == Outcome.DONE
    control = SoleControl.objects.get(credential=holder.credential)
    assert (control.state, control.pin_hash) == (ControlState.AWAITING_ACTIVATION, "")
    assert _status(holder) == DeviceStatus.HANDED_TO_SUBSCRIBER
    reopened = AuditEvent.objects.get(action="remote_credential.reopen")
    assert reopened.before == {"state": ControlState.ACTIVE}


def test_a_mau_06_of_a_revoked_credential_fails_and_changes_nothing(
    cast, holder, django_capture_on_commit_callbacks
):
    certificate = holder.credential.device.certificates.get()
    with django_capture_on_commit_callbacks(execute=True):
        certificate_revoke(certificate=certificate, by=cast.ca_operator, reason="retired")
    Device.objects.filter(pk=holder.credential.device_id).update(status=DeviceStatus.LOCKED)
    device = Device.objects.get(pk=holder.credential.device_id)

    letter = _recovered(cast, device)

    assert letter.rows.get().outcome == Outcome.FAILED
    assert _status(holder) == DeviceStatus.LOCKED
    assert not AuditEvent.objects.filter(action="remote_credential.reopen").exists()


def test_the_migration_moves_devices_as_their_credentials_had_moved(cast, holder):
    """remote_signing 0004: a credential locked while its device stayed "handed to subscriber"
    (before devices followed their credentials) gets its device locked, so that a Mẫu 06 can
    recover it; an active one still "delivered to agency" is the holder's; a device in
    another state (awaiting its return) is left alone."""
    services.credential_lock(credential=holder.credential, by=holder.user)
    active = activated(cast, f.PersonFactory(organization=cast.agency_a, user=f.UserFactory()))
    leaving = activated(cast, f.PersonFactory(organization=cast.agency_a, user=f.UserFactory()))
    services.credential_lock(credential=leaving.credential, by=leaving.user)
    for device_id, status in (
        (holder.credential.device_id, DeviceStatus.HANDED_TO_SUBSCRIBER),
        (active.credential.device_id, DeviceStatus.DELIVERED_TO_AGENCY),
        (leaving.credential.device_id, DeviceStatus.AWAITING_RETURN),
    ):
        Device.objects.filter(pk=device_id).update(status=status)
    migration = importlib.import_module(
        "remote_signing.migrations.0004_devices_follow_their_credentials"
    )

    migration.devices_follow(apps, None)

    assert _status(holder) == DeviceStatus.LOCKED
    held = CustodyRecord.objects.get(device_id=holder.credential.device_id, held_until=None)
    assert held.status == DeviceStatus.LOCKED and held.person_id is not None
    assert _status(active) == DeviceStatus.HANDED_TO_SUBSCRIBER
    assert _status(leaving) == DeviceStatus.AWAITING_RETURN
