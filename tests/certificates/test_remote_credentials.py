"""Remote-signing credentials' keys in the CA's HSM (docs/remote-signing.md), on a real SoftHSM2
store: an RSSP device's key pair generated in the remote-signing slot (not the CA's own token),
sensitive and never extractable, labelled with its credential id, certified from the request
the slot signed; destroyed once its certificate's revocation commits; nothing left in the slot
by an issuance that fails."""

import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import transaction

from certificates.backends.remote_keys import remote_key_flags, slot_pin, slot_serial
from certificates.choices import RevocationReason, SubjectKind
from certificates.models import DeviceKey
from certificates.services import certificate_issue, certificate_revoke
from devices.choices import CredentialState, DeviceKind
from devices.models import RemoteCredential
from devices.services import (
    CredentialRecord,
    device_credentials_record,
    device_deliver_for_certificate,
)
from portal.errors import DomainError
from portal.lib import pkcs11 as p11
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db


def _device(cast, kind=DeviceKind.RSSP):
    return device_deliver_for_certificate(
        kind=kind, agency=cast.agency_a, holder=cast.subscriber, by=cast.ca_operator,
        document_ref="1/STC-CKS",
    )  # fmt: skip


def _issue(cast, device):
    return certificate_issue(
        subject_kind=SubjectKind.PERSON, agency=cast.agency_a, person=cast.subscriber,
        device=device, by=cast.ca_operator,
    )  # fmt: skip


def _slot_key_ids() -> set[str]:
    session = p11.shared_session(slot_serial(), user_pin=slot_pin())
    return {key_id.hex() for key_id in p11.key_ids(session)}


def _spki(certificate) -> bytes:
    return (
        x509.load_der_x509_certificate(bytes(certificate.der))
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


@pytest.mark.parametrize("store", ["token", "software"])
def test_an_rssp_certificates_key_is_born_in_the_remote_signing_slot(cast, ca, settings, store):
    settings.PORTAL_SUBSCRIBER_KEY_STORE = store
    device = _device(cast)

    certificate = _issue(cast, device)

    credential = RemoteCredential.objects.get(device=device)
    assert credential.state == CredentialState.ISSUED and len(credential.credential_id) == 32
    assert _spki(certificate) == bytes(credential.public_key_der)
    assert bytes(DeviceKey.objects.get(pk=certificate.key_id).private_key_pem) == b""
    assert credential.credential_id in _slot_key_ids()
    assert slot_serial() != ca.issuing.token_serial
    flags = remote_key_flags(credential_id=credential.credential_id)
    assert flags == {
        "extractable": False,
        "sensitive": True,
        "always_sensitive": True,
        "never_extractable": True,
    }
    assert AuditEvent.objects.filter(
        action="device_credential.issue", object_id=str(device.pk)
    ).exists()


def test_the_slot_labels_each_key_with_its_credential_id(cast, ca):
    credential = RemoteCredential.objects.get(device=_issue(cast, _device(cast)).device)

    listing = subprocess.run(  # noqa: S603 - our own arguments
        [
            "pkcs11-tool", "--module", settings.PKCS11_MODULE,
            "--token-label", settings.RSSP_HSM_TOKEN_LABEL,
            "--login", "--pin", slot_pin(), "--list-objects", "--type", "privkey",
            "--id", credential.credential_id,
        ],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip

    assert f"label:      {credential.credential_id}" in listing
    assert "never extractable" in listing and "sensitive" in listing


def test_revoking_an_rssp_certificate_destroys_its_key_once_the_revocation_commits(
    cast, ca, django_capture_on_commit_callbacks
):
    certificate = _issue(cast, _device(cast))
    credential = RemoteCredential.objects.get(device=certificate.device)

    with django_capture_on_commit_callbacks(execute=False) as pending:
        certificate_revoke(
            certificate=certificate, by=cast.ca_operator, reason=RevocationReason.RETIRED
        )
    assert credential.credential_id in _slot_key_ids()  # not before the commit
    for callback in pending:
        callback()

    credential.refresh_from_db()
    assert credential.state == CredentialState.DESTROYED and credential.destroyed_at is not None
    assert credential.credential_id not in _slot_key_ids()
    assert remote_key_flags(credential_id=credential.credential_id) is None
    event = AuditEvent.objects.get(action="device_credential.destroy")
    assert event.after["credential"] == credential.credential_id


def test_a_revocation_rolled_back_keeps_the_key(cast, ca, django_capture_on_commit_callbacks):
    certificate = _issue(cast, _device(cast))
    credential = RemoteCredential.objects.get(device=certificate.device)

    with (
        django_capture_on_commit_callbacks(execute=True) as ran,
        pytest.raises(RuntimeError, match="rolled back"),
        transaction.atomic(),
    ):
        certificate_revoke(
            certificate=certificate, by=cast.ca_operator, reason=RevocationReason.RETIRED
        )
        raise RuntimeError("rolled back")

    assert ran == []
    credential.refresh_from_db()
    assert credential.state == CredentialState.ISSUED
    assert credential.credential_id in _slot_key_ids()


def test_revoking_a_token_certificate_destroys_no_credential(cast, ca, settings):
    settings.PORTAL_SUBSCRIBER_KEY_STORE = "token"
    remote = _issue(cast, _device(cast))
    token = _issue(cast, _device(cast, DeviceKind.USB_TOKEN))

    certificate_revoke(certificate=token, by=cast.ca_operator, reason=RevocationReason.RETIRED)

    assert RemoteCredential.objects.get(device=remote.device).state == CredentialState.ISSUED
    assert not AuditEvent.objects.filter(action="device_credential.destroy").exists()


def test_an_issuance_refused_after_the_key_was_made_leaves_no_key_in_the_slot(cast, ca):
    device = _issue(cast, _device(cast)).device  # a device that already has its credential
    before = _slot_key_ids()

    with pytest.raises(DomainError) as refused:
        _issue(cast, device)

    assert refused.value.code == "credential_exists"
    assert _slot_key_ids() == before
    assert RemoteCredential.objects.filter(device=device).count() == 1


def test_a_credential_is_recorded_only_for_an_rssp_device(cast, ca):
    device = _device(cast, DeviceKind.USB_TOKEN)

    with pytest.raises(DomainError) as refused:
        device_credentials_record(
            records=[
                CredentialRecord(
                    device=device, credential_id="00" * 16, public_key_der=b"", algorithm="rsa2048"
                )
            ],
            by=cast.ca_operator,
        )

    assert refused.value.code == "not_remote"
    assert not RemoteCredential.objects.exists()
