"""CRL publication: one-pass build, idempotent republish, DER and PEM downloads, per-CA URLs."""

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from django.urls import reverse
from django.utils import timezone

from certificates import services
from certificates.choices import RevocationReason
from certificates.models import Certificate, RevocationList
from certificates.tasks import crl_publish_task, crl_refresh_task
from portal.models import AuditEvent
from tests.certificates.relying_party import openssl

pytestmark = pytest.mark.django_db


def revoke(certificate, cast, reason=RevocationReason.RESIGNED):
    return services.certificate_revoke(certificate=certificate, by=cast.ca_operator, reason=reason)


def test_the_key_ceremony_publishes_empty_crls(ca, client):
    crl = x509.load_der_x509_crl(client.get("/ca/crl").content)
    issuing = x509.load_der_x509_certificate(bytes(ca.issuing.certificate_der))

    assert len(crl) == 0
    assert crl.issuer == issuing.subject
    assert crl.is_signature_valid(issuing.public_key())
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 1


def test_the_crl_is_served_in_der_and_pem(ca, client, tmp_path):
    der = client.get(reverse("certificates:crl"))
    pem = client.get(reverse("certificates:crl_pem"))

    assert der["Content-Type"] == "application/pkix-crl"
    assert pem["Content-Type"] == "application/x-pem-file"
    assert pem.content.startswith(b"-----BEGIN X509 CRL-----\n")
    assert x509.load_pem_x509_crl(pem.content) == x509.load_der_x509_crl(der.content)
    path = tmp_path / "crl.der"
    path.write_bytes(der.content)
    result = openssl("crl", "-inform", "DER", "-in", path, "-noout", "-text")
    assert result.returncode == 0
    assert "Certificate Revocation List" in result.stdout.decode()


def test_a_crl_lists_revoked_certificates_with_time_and_reason(issue, cast, tmp_path):
    certificate = issue()
    revoke(certificate, cast, RevocationReason.KEY_COMPROMISE)
    crl = services.crl_publish()

    parsed = x509.load_der_x509_crl(bytes(crl.der))
    entry = parsed.get_revoked_certificate_by_serial_number(int(certificate.serial, 16))
    certificate.refresh_from_db()
    assert entry.revocation_date_utc == certificate.revoked_at.replace(microsecond=0)
    path = tmp_path / "crl.der"
    path.write_bytes(bytes(crl.der))
    text = openssl("crl", "-inform", "DER", "-in", path, "-noout", "-text").stdout.decode()
    assert certificate.serial in text
    assert "Key Compromise" in text


def test_a_revocation_time_is_listed_to_the_second_it_fell_in(issue, cast):
    certificate = issue()
    revoke(certificate, cast)
    at = datetime(2026, 3, 1, 16, 59, 59, 999999, tzinfo=UTC)  # 23:59:59.999999 in Hà Nội
    Certificate.objects.filter(pk=certificate.pk).update(revoked_at=at)

    parsed = x509.load_der_x509_crl(bytes(services.crl_publish(force=True).der))

    entry = parsed.get_revoked_certificate_by_serial_number(int(certificate.serial, 16))
    assert entry.revocation_date_utc == at.replace(microsecond=0)


def test_a_republish_with_nothing_new_changes_nothing(issue, cast):
    revoke(issue(), cast)
    first = services.crl_publish()

    again = services.crl_publish()
    crl_publish_task(first.authority_id)

    assert again.pk == first.pk
    assert RevocationList.objects.filter(authority=first.authority).latest().pk == first.pk


def test_a_new_revocation_gives_a_new_crl_number(issue, cast):
    published = AuditEvent.objects.filter(action="crl.publish")
    revoke(issue(), cast)
    before = published.count()
    first = services.crl_publish()
    revoke(issue(), cast)

    second = services.crl_publish()

    assert second.number == first.number + 1
    assert second.entry_count == 2
    assert published.count() == before + 2


def test_a_crl_past_half_its_life_is_republished(issue, cast, time_machine, settings):
    first = services.crl_publish(force=True)
    time_machine.move_to(timezone.now() + timedelta(hours=settings.CA_CRL_NEXT_UPDATE_HOURS * 0.6))

    crl_refresh_task()

    latest = RevocationList.objects.filter(authority=first.authority).latest()
    assert latest.number == first.number + 1


def test_an_expired_revoked_certificate_leaves_the_crl(issue, cast, time_machine):
    certificate = issue(not_after=timezone.now() + timedelta(days=10))
    revoke(certificate, cast)
    assert services.crl_publish().entry_count == 1

    time_machine.move_to(timezone.now() + timedelta(days=11))

    assert services.crl_publish().entry_count == 0


def test_the_crl_is_built_in_one_pass(issue, cast, monkeypatch):
    for _ in range(3):
        revoke(issue(), cast)

    def refuse(*args, **kwargs):
        raise AssertionError("entries must be given to the builder at once")

    monkeypatch.setattr(x509.CertificateRevocationListBuilder, "add_revoked_certificate", refuse)
    crl = services.crl_publish()

    assert len(x509.load_der_x509_crl(bytes(crl.der))) == 3


def test_only_a_few_crls_are_kept(issue, cast):
    for _ in range(5):
        revoke(issue(), cast)
        services.crl_publish()

    assert RevocationList.objects.filter(authority__kind="issuing").count() == 3


def test_a_missing_crl_is_published_on_first_download(ca, client):
    RevocationList.objects.all().delete()

    response = client.get(reverse("certificates:authority_crl", args=[ca.issuing.pk]))

    assert response.status_code == 200
    assert RevocationList.objects.filter(authority=ca.issuing).count() == 1


def test_the_crl_of_a_rotated_ca_stays_available(issue, cast, client):
    old_certificate = issue()
    old_ca = old_certificate.issuer
    services.ca_initialize(rotate=True)
    revoke(old_certificate, cast)
    services.crl_publish(authority=old_ca)

    old_crl = x509.load_der_x509_crl(
        client.get(reverse("certificates:authority_crl", args=[old_ca.pk])).content
    )
    current = x509.load_der_x509_crl(client.get(reverse("certificates:crl")).content)

    assert old_crl.get_revoked_certificate_by_serial_number(int(old_certificate.serial, 16))
    assert len(current) == 0
    assert current.issuer != old_crl.issuer


def test_there_is_no_crl_before_the_key_ceremony(db, client):
    assert client.get(reverse("certificates:crl")).status_code == 404


def test_the_publish_task_ignores_a_vanished_ca(db):
    assert crl_publish_task(987654) is None
