"""An approved rotation of the issuing CA carried out by a real Celery worker process (prefork,
as production runs it: tests/celery_processes.py) with the CA's keys on the SoftHSM2 token
(docs/ca.md, "Keys on tokens"; docs/approvals.md): `ca_init --rotate --request` records the
request, a second CA operator approves it, the worker's child runs the ceremony as the
requester, and every process then signs with the right key."""

import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command

from approvals import services as approvals
from approvals.choices import ApprovalAction, ApprovalStatus
from approvals.models import Approval
from certificates import services
from certificates.backends.ca_keys import hsm_pin
from certificates.choices import AuthorityKind, RevocationReason, SubjectKind
from certificates.models import CertificateAuthority, RevocationList
from portal.lib import pkcs11
from portal.models import AuditEvent
from tests import factories as f
from tests.celery_processes import CeleryProcesses, RedisServer, producing_to, wait_until
from tests.helpers import postgresql_only, service_missing

pytestmark = pytest.mark.services

REASON = "Khóa CA phát hành đến hạn thay theo quy chế"
NEVER_EXPORTED = {
    "extractable": False,
    "sensitive": True,
    "always_sensitive": True,
    "never_extractable": True,
}


def _pem(der: bytes) -> bytes:
    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)


def _openssl_verify(tmp_path, root_der: bytes, issuing_der: bytes, leaf_der: bytes):
    """`openssl verify` of `leaf_der` up to the root, through the issuing CA: a real path
    validation (signatures, validity, CA constraints and key usage)."""
    root, chain, leaf = tmp_path / "root.pem", tmp_path / "issuing.pem", tmp_path / "leaf.pem"
    root.write_bytes(_pem(root_der))
    chain.write_bytes(_pem(issuing_der))
    leaf.write_bytes(_pem(leaf_der))
    return subprocess.run(
        ["openssl", "verify", "-CAfile", root, "-untrusted", chain, leaf],
        capture_output=True,
        text=True,
    )


def _revoke_and_wait_for_crl(
    certificate, authority, by, processes
) -> x509.CertificateRevocationList:
    """Revoke `certificate` (its CRL queued on commit) and wait for the worker to publish
    `authority`'s next CRL."""
    before = RevocationList.objects.filter(authority=authority).order_by("-number").first()
    services.certificate_revoke(certificate=certificate, by=by, reason=RevocationReason.RESIGNED)
    wait_until(
        lambda: RevocationList.objects.filter(
            authority=authority, number__gt=before.number
        ).exists(),
        60,
        processes.logs,
    )
    newest = RevocationList.objects.filter(authority=authority).order_by("-number").first()
    return x509.load_der_x509_crl(bytes(newest.der))


@pytest.mark.django_db(transaction=True)
def test_an_approved_rotation_is_carried_out_by_a_prefork_worker_with_the_keys_on_the_token(
    cast, tmp_path
):
    postgresql_only("worker processes on the test database")
    server = RedisServer(tmp_path)
    if server.exe is None:
        service_missing("redis-server (Debian package redis-server) for the worker test")
    call_command("ca_init")  # the first ceremony: root and issuing CA on the token
    root = CertificateAuthority.objects.get(kind=AuthorityKind.ROOT, is_active=True)
    old = CertificateAuthority.objects.get(kind=AuthorityKind.ISSUING, is_active=True)
    first, second = (
        services.certificate_issue(
            subject_kind=SubjectKind.PERSON,
            agency=cast.agency_a,
            person=f.PersonFactory(organization=cast.agency_a),
            by=cast.ca_operator,
        )
        for _ in range(2)
    )
    call_command(
        "ca_init", "--rotate", "--request", "--by", cast.ca_operator.username, "--reason", REASON
    )
    approval = Approval.objects.get(action=ApprovalAction.CA_ROTATE, status="pending")
    operator_2 = f.UserFactory(username="ca_operator_2")
    f.MembershipFactory(user=operator_2, role="ca_operator", organization=cast.ca_org)

    server.start()
    # The worker holds the user PIN only: the SO PIN serves the ceremony that creates the
    # token (docs/ca.md, "Keys on tokens"), and a rotation uses the root's token.
    processes = CeleryProcesses(server.url, tmp_path, CA_HSM_SO_PIN="")
    try:
        # One forked child, long-lived as in production: it has already signed on the token
        # (the old CA's CRL after a revocation) when the approved rotation reaches it.
        processes.worker(pool="prefork", children=1)
        with producing_to(server.url):
            _revoke_and_wait_for_crl(first, old, cast.ca_operator, processes)
            approvals.approval_approve(approval=approval, by=operator_2)  # queued on commit
        wait_until(
            lambda: Approval.objects.filter(
                pk=approval.pk, status__in=[ApprovalStatus.DONE, ApprovalStatus.FAILED]
            ).exists(),
            120,
            processes.logs,
        )
        approval.refresh_from_db()
        assert approval.status == ApprovalStatus.DONE, approval.outcome + processes.logs()
        with producing_to(server.url):
            crl = _revoke_and_wait_for_crl(second, old, cast.ca_operator, processes)
        logs = processes.logs()
    finally:
        processes.stop_all()
        server.stop()

    ran = [line for line in logs.splitlines() if "succeeded in" in line]
    assert any("approval_run_task" in line for line in ran), logs
    assert all('"ForkPoolWorker-1"' in line for line in ran), logs  # one child ran them all
    # A new issuing CA, generation 2, its key generated on the root's token under a new id.
    new = CertificateAuthority.objects.get(kind=AuthorityKind.ISSUING, is_active=True)
    old.refresh_from_db()
    assert new.pk != old.pk and new.generation == 2
    assert not old.is_active and old.retired_at is not None
    assert new.token_serial == old.token_serial == root.token_serial
    assert new.token_key_id not in {old.token_key_id, root.token_key_id}
    assert new.private_key_pem is None
    session = pkcs11.shared_session(new.token_serial, user_pin=hsm_pin())
    flags = pkcs11.private_key_flags(session, key_id=bytes.fromhex(new.token_key_id))
    assert flags == NEVER_EXPORTED

    # After the rotation the worker's child still signs the old CA's CRL, which the old CA's
    # certificate verifies.
    assert crl.is_signature_valid(
        x509.load_der_x509_certificate(bytes(old.certificate_der)).public_key()
    )
    assert crl.get_revoked_certificate_by_serial_number(int(second.serial, 16))

    # The new CA issues (in this process, from the key the worker made), verified to the root.
    issued_after = services.certificate_issue(
        subject_kind=SubjectKind.PERSON,
        agency=cast.agency_a,
        person=cast.subscriber,
        by=cast.ca_operator,
    )
    assert issued_after.issuer_id == new.pk
    verified = _openssl_verify(
        tmp_path,
        bytes(root.certificate_der),
        bytes(new.certificate_der),
        bytes(issued_after.der),
    )
    assert verified.returncode == 0 and ": OK" in verified.stdout, verified.stderr

    # Carried out as the requester, and the request names the new CA.
    (retired,) = AuditEvent.objects.filter(action="ca.retire")
    assert retired.object_id == str(old.pk)
    assert retired.actor_id == cast.ca_operator.pk
    assert new.subject_dn in approval.outcome and new.serial in approval.outcome
