"""Revocation (Decree 68 Art. 17 → RFC 5280 reasons) and automatic expiry."""

from datetime import timedelta
from unittest import mock

import pytest
from cryptography import x509
from django.utils import timezone

from certificates import services
from certificates.choices import (
    REASONS_BY_SUBJECT_KIND,
    RFC5280_REASON,
    CertEventKind,
    CertStatus,
    RevocationReason,
    SubjectKind,
)
from certificates.exceptions import CertificateError
from certificates.models import Certificate, CertificateEvent
from certificates.signals import certificate_revoked
from portal.models import AuditEvent
from tests.certificates.relying_party import verify

pytestmark = pytest.mark.django_db


class Receiver:
    def __init__(self, signal):
        self.calls = []
        self.signal = signal

    def __call__(self, **kwargs):
        self.calls.append(kwargs)

    def __enter__(self):
        self.signal.connect(self)
        return self

    def __exit__(self, *exc):
        self.signal.disconnect(self)


def test_a_revoked_certificate_fails_openssl_verify(issue, cast, files, ca):
    certificate = issue()
    assert verify(files, ca, certificate).returncode == 0

    services.certificate_revoke(
        certificate=certificate, by=cast.ca_operator, reason=RevocationReason.DEVICE_LOST
    )
    services.crl_publish()

    result = verify(files, ca, certificate)
    assert result.returncode != 0
    assert b"certificate revoked" in result.stdout + result.stderr


def test_revocation_records_status_time_reason_history_and_audit(issue, cast):
    certificate = issue()
    before = timezone.now()

    with Receiver(certificate_revoked) as receiver:
        services.certificate_revoke(
            certificate=certificate,
            by=cast.ca_operator,
            reason=RevocationReason.KEY_COMPROMISE,
            note="Công văn số 12/STC",
        )

    certificate.refresh_from_db()
    assert certificate.status == CertStatus.REVOKED
    assert certificate.revoked_at >= before
    assert certificate.revocation_reason == RevocationReason.KEY_COMPROMISE
    event = CertificateEvent.objects.get(certificate=certificate, kind=CertEventKind.REVOKED)
    assert "Công văn số 12/STC" in event.note
    audit = AuditEvent.objects.get(action="certificate.revoke")
    assert audit.before["status"] == "valid" and audit.after["status"] == "revoked"
    assert audit.reason == "Công văn số 12/STC"
    assert receiver.calls[0]["reason"] == RevocationReason.KEY_COMPROMISE


@pytest.mark.parametrize("reason", sorted(REASONS_BY_SUBJECT_KIND[SubjectKind.PERSON]), ids=str)
def test_each_case_for_a_person_is_on_the_crl_with_its_rfc5280_reason(issue, cast, reason, ca):
    certificate = issue()
    services.certificate_revoke(certificate=certificate, by=cast.ca_operator, reason=reason)

    crl = x509.load_der_x509_crl(bytes(services.crl_publish().der))

    entry = crl.get_revoked_certificate_by_serial_number(int(certificate.serial, 16))
    assert entry is not None
    flag = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    assert flag.value == RFC5280_REASON[reason]


def test_every_case_has_an_rfc5280_reason():
    for reason in RevocationReason.values:
        assert x509.ReasonFlags(RFC5280_REASON[reason])


@pytest.mark.parametrize(
    ("kind", "reason", "allowed"),
    [
        (SubjectKind.PERSON, RevocationReason.RETIRED, True),
        (SubjectKind.PERSON, RevocationReason.DISSOLVED, False),
        (SubjectKind.ORGANIZATION, RevocationReason.MERGED, True),
        (SubjectKind.ORGANIZATION, RevocationReason.DECEASED, False),
        (SubjectKind.DEVICE_SERVICE, RevocationReason.CEASED_OPERATION, True),
        (SubjectKind.DEVICE_SERVICE, RevocationReason.RETIRED, False),
        (SubjectKind.DEVICE_SERVICE, RevocationReason.DEVICE_LOST, True),
    ],
)
def test_the_cases_depend_on_the_kind_of_subscriber(issue, cast, kind, reason, allowed):
    extra = {"common_name": "Cổng dịch vụ công"} if kind == SubjectKind.DEVICE_SERVICE else {}
    certificate = issue(subject_kind=kind, **extra)

    if allowed:
        services.certificate_revoke(certificate=certificate, by=cast.ca_operator, reason=reason)
        certificate.refresh_from_db()
        assert certificate.status == CertStatus.REVOKED
    else:
        with pytest.raises(CertificateError) as refused:
            services.certificate_revoke(certificate=certificate, by=cast.ca_operator, reason=reason)
        assert refused.value.code == "reason"


def test_superseded_is_reserved_to_renewal_and_change(issue, cast):
    with pytest.raises(CertificateError) as refused:
        services.certificate_revoke(
            certificate=issue(), by=cast.ca_operator, reason=RevocationReason.SUPERSEDED
        )
    assert refused.value.code == "reason"


def test_a_certificate_is_revoked_once(issue, cast):
    certificate = issue()
    services.certificate_revoke(
        certificate=certificate, by=cast.ca_operator, reason=RevocationReason.RESIGNED
    )

    with pytest.raises(CertificateError) as refused:
        services.certificate_revoke(
            certificate=certificate, by=cast.ca_operator, reason=RevocationReason.RESIGNED
        )
    assert refused.value.code == "revoked"


def test_a_batch_revocation_is_all_or_nothing_and_enqueues_one_crl_per_ca(
    issue, cast, django_capture_on_commit_callbacks
):
    first, second = issue(), issue()
    services.certificate_revoke(
        certificate=second, by=cast.ca_operator, reason=RevocationReason.RESIGNED
    )

    with pytest.raises(CertificateError):
        services.certificate_revoke_batch(
            certificates=[first, second], by=cast.ca_operator, reason=RevocationReason.MERGED
        )
    first.refresh_from_db()
    assert first.status == CertStatus.VALID

    third = issue()
    with (
        mock.patch("certificates.services.common.enqueue") as enqueue,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        services.certificate_revoke_batch(
            certificates=[first, third], by=cast.ca_operator, reason=RevocationReason.RESIGNED
        )
    assert len(callbacks) == 1
    enqueue.assert_called_once_with(
        "certificates.tasks.crl_publish_task",
        first.issuer_id,
        what=f"CRL of authority {first.issuer_id}",
    )


def test_an_unknown_reason_is_refused(issue, cast):
    with pytest.raises(CertificateError):
        services.certificate_revoke(certificate=issue(), by=cast.ca_operator, reason="bored")


# --- expiry --------------------------------------------------------------------------------
def test_expiry_is_automatic_and_idempotent(issue, cast, time_machine):
    soon = issue(not_after=timezone.now() + timedelta(days=3))
    later = issue(not_after=timezone.now() + timedelta(days=300))
    time_machine.move_to(timezone.now() + timedelta(days=4))

    assert services.certificate_expire_due() == 1
    assert services.certificate_expire_due() == 0

    soon.refresh_from_db()
    later.refresh_from_db()
    assert soon.status == CertStatus.EXPIRED
    assert later.status == CertStatus.VALID
    event = CertificateEvent.objects.get(certificate=soon, kind=CertEventKind.EXPIRED)
    assert event.at == soon.not_after and event.actor is None
    assert not CertificateEvent.objects.filter(certificate=later, kind=CertEventKind.EXPIRED)
    audit = AuditEvent.objects.get(action="certificate.expire")
    assert audit.actor_id is None and audit.object_id == str(soon.pk)
    assert (audit.before["status"], audit.after["status"]) == ("valid", "expired")


def test_an_expired_certificate_cannot_be_revoked(issue, cast, time_machine):
    certificate = issue(not_after=timezone.now() + timedelta(days=3))
    time_machine.move_to(timezone.now() + timedelta(days=4))

    with pytest.raises(CertificateError) as refused:
        services.certificate_revoke(
            certificate=certificate, by=cast.ca_operator, reason=RevocationReason.RESIGNED
        )
    assert refused.value.code == "expired"


def test_the_expiry_task_calls_the_service(issue, time_machine):
    from certificates.tasks import certificate_expire_due_task

    issue(not_after=timezone.now() + timedelta(days=3))
    time_machine.move_to(timezone.now() + timedelta(days=4))

    assert certificate_expire_due_task() == 1
    assert Certificate.objects.filter(status=CertStatus.EXPIRED).count() == 1
