"""The sweep of the remote-signing slot (docs/remote-signing.md, "Nothing half done"), on a real
SoftHSM2 store: the key of a credential the registry says is destroyed goes at once; a key the
registry does not know goes only once it has been unknown REMOTE_SIGNING_ORPHAN_HOURS (one
second less and it stays); a key the registry knows is never touched. The slot is the test
session's: keys other tests left (their registry rows rolled back) are unknown too, so each
test asserts on its own keys."""

from datetime import timedelta

import pytest
import time_machine
from cryptography import x509
from django.utils import timezone

from certificates.backends import get_backend
from certificates.backends.remote_keys import remote_key_flags
from certificates.choices import SubjectKind
from certificates.models import UnaccountedKey
from certificates.services import certificate_issue, remote_keys_sweep
from certificates.tasks import remote_keys_sweep_task
from devices.choices import CredentialState, DeviceKind
from devices.models import RemoteCredential
from devices.services import device_deliver_for_certificate
from portal.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ca")]


def issued(cast) -> RemoteCredential:
    device = device_deliver_for_certificate(
        kind=DeviceKind.RSSP, agency=cast.agency_a, holder=cast.subscriber, by=cast.ca_operator
    )
    certificate_issue(
        subject_kind=SubjectKind.PERSON, agency=cast.agency_a, person=cast.subscriber,
        device=device, by=cast.ca_operator,
    )  # fmt: skip
    return RemoteCredential.objects.get(device=device)


def orphan() -> str:
    """A key generated in the slot whose credential was never committed (a killed issuance)."""
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "orphan")])
    (key,) = get_backend().remote_keys_generate(subjects=[name], algorithm="rsa2048")
    return key.credential_id


def test_the_key_of_a_credential_marked_destroyed_goes_at_once(cast):
    credential = issued(cast)
    # a revocation committed, its process killed before the key's destruction
    RemoteCredential.objects.filter(pk=credential.pk).update(
        state=CredentialState.DESTROYED, destroyed_at=timezone.now()
    )

    result = remote_keys_sweep()

    assert credential.credential_id in result.destroyed
    assert remote_key_flags(credential_id=credential.credential_id) is None
    event = AuditEvent.objects.get(action="remote_key.sweep_destroy", after__why="revoked")
    assert event.after["credential_ids"] == [credential.credential_id]


def test_an_unknown_key_goes_only_once_unknown_for_the_settings_hours(settings):
    settings.REMOTE_SIGNING_ORPHAN_HOURS = 24
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        credential_id = orphan()
        first = remote_keys_sweep()
    # noted, kept: it may be an issuance under way
    assert credential_id in first.noted and credential_id not in first.destroyed
    assert UnaccountedKey.objects.get(credential_id=credential_id).seen_at == start

    with time_machine.travel(start + timedelta(hours=24, seconds=-1), tick=False):
        assert credential_id not in remote_keys_sweep().destroyed
    assert remote_key_flags(credential_id=credential_id) is not None

    with time_machine.travel(start + timedelta(hours=24), tick=False):
        assert credential_id in remote_keys_sweep().destroyed
    assert remote_key_flags(credential_id=credential_id) is None
    assert not UnaccountedKey.objects.filter(credential_id=credential_id).exists()


def test_a_key_the_registry_knows_is_never_touched(cast):
    credential = issued(cast)
    UnaccountedKey.objects.update(seen_at=timezone.now() - timedelta(days=30))

    remote_keys_sweep_task.apply().get()

    assert remote_key_flags(credential_id=credential.credential_id)["sensitive"] is True
    assert not UnaccountedKey.objects.filter(credential_id=credential.credential_id).exists()


def test_a_noted_key_whose_credential_committed_since_is_forgotten(cast):
    credential = issued(cast)
    UnaccountedKey.objects.create(credential_id=credential.credential_id, seen_at=timezone.now())

    remote_keys_sweep()

    assert not UnaccountedKey.objects.filter(credential_id=credential.credential_id).exists()
    assert remote_key_flags(credential_id=credential.credential_id) is not None
