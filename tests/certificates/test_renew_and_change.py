"""Renewal (same key, +3 years, once, ≥30 days left) and change of information (same expiry)."""

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from django.utils import timezone

from certificates import services
from certificates.choices import CertEventKind, CertStatus, RevocationReason, SubjectKind
from certificates.exceptions import CertificateError
from certificates.models import Certificate, CertificateEvent
from certificates.signals import certificate_superseded
from certificates.validity import add_years
from portal.models import AuditEvent
from tests import factories as f
from tests.certificates.relying_party import verify

pytestmark = pytest.mark.django_db


def parsed(certificate: Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(bytes(certificate.der))


def public_der(certificate: Certificate) -> bytes:
    return (
        parsed(certificate)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def days_from_now(days: float):
    return timezone.now() + timedelta(days=days)


# --- renewal -------------------------------------------------------------------------------
def test_renewal_keeps_the_key_and_adds_three_years(issue, cast, files, ca):
    old = issue(not_after=days_from_now(200))

    new = services.certificate_renew(certificate=old, by=cast.officer_1)

    old.refresh_from_db()
    assert new.serial != old.serial
    assert public_der(new) == public_der(old)
    assert new.key_id == old.key_id
    assert new.not_after == add_years(old.not_after, 3)
    assert parsed(new).not_valid_after_utc == new.not_after
    assert parsed(new).subject == parsed(old).subject
    assert new.renewal_count == 1
    assert old.status == CertStatus.REVOKED
    assert old.revocation_reason == RevocationReason.SUPERSEDED
    assert old.superseded_by == new
    assert new.original == old
    services.crl_publish()
    assert verify(files, ca, new).returncode == 0
    revoked = verify(files, ca, old)
    assert revoked.returncode != 0
    assert b"certificate revoked" in revoked.stdout + revoked.stderr


def test_renewal_is_refused_with_29_days_left(issue, cast):
    certificate = issue(not_after=days_from_now(29))

    with pytest.raises(CertificateError) as refused:
        services.certificate_renew(certificate=certificate, by=cast.officer_1)

    assert refused.value.code == "too_late"
    assert "cấp mới" in str(refused.value)
    certificate.refresh_from_db()
    assert certificate.status == CertStatus.VALID


def test_renewal_is_accepted_with_30_days_left(issue, cast):
    certificate = issue(not_after=days_from_now(30) + timedelta(minutes=5))

    renewed = services.certificate_renew(certificate=certificate, by=cast.officer_1)

    assert renewed.status == CertStatus.VALID


def test_the_threshold_is_a_setting(issue, cast, settings):
    settings.PORTAL_RENEW_MIN_DAYS_LEFT = 60
    certificate = issue(not_after=days_from_now(45))

    with pytest.raises(CertificateError):
        services.certificate_renew(certificate=certificate, by=cast.officer_1)


def test_a_second_renewal_is_refused(issue, cast):
    first = services.certificate_renew(
        certificate=issue(not_after=days_from_now(100)), by=cast.officer_1
    )

    with pytest.raises(CertificateError) as refused:
        services.certificate_renew(certificate=first, by=cast.officer_1)

    assert refused.value.code == "renewed_already"


def test_the_superseded_certificate_cannot_be_renewed_again(issue, cast):
    old = issue(not_after=days_from_now(100))
    services.certificate_renew(certificate=old, by=cast.officer_1)

    with pytest.raises(CertificateError) as refused:
        services.certificate_renew(certificate=old, by=cast.officer_1)

    assert refused.value.code == "revoked"


def test_a_renewal_counts_across_a_change_of_information(issue, cast):
    renewed = services.certificate_renew(
        certificate=issue(not_after=days_from_now(100)), by=cast.officer_1
    )
    changed = services.certificate_change_info(
        certificate=renewed, by=cast.officer_1, email="moi@thunghiem.gov.vn"
    )

    assert changed.renewal_count == 1
    with pytest.raises(CertificateError):
        services.certificate_renew(certificate=changed, by=cast.officer_1)


def test_a_renewal_may_not_add_more_than_three_years(issue, cast):
    certificate = issue(not_after=days_from_now(100))

    with pytest.raises(CertificateError) as refused:
        services.certificate_renew(
            certificate=certificate,
            by=cast.officer_1,
            not_after=add_years(certificate.not_after, 3) + timedelta(days=1),
        )

    assert refused.value.code == "validity"


def test_a_shorter_renewal_is_allowed(issue, cast):
    certificate = issue(not_after=days_from_now(100))
    wanted = (certificate.not_after + timedelta(days=365)).replace(microsecond=0)

    renewed = services.certificate_renew(
        certificate=certificate, by=cast.officer_1, not_after=wanted
    )

    assert renewed.not_after == wanted


def test_renewal_writes_history_audit_and_signal(issue, cast):
    old = issue(not_after=days_from_now(100))
    received = []

    def receiver(**kwargs):
        received.append(kwargs)

    certificate_superseded.connect(receiver)
    try:
        new = services.certificate_renew(certificate=old, by=cast.officer_1)
    finally:
        certificate_superseded.disconnect(receiver)

    event = CertificateEvent.objects.get(certificate=new)
    assert (event.kind, event.related_id, event.actor) == (
        CertEventKind.RENEWED,
        old.pk,
        cast.officer_1,
    )
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"certificate.renew", "certificate.supersede"} <= actions
    assert received[0]["certificate"].pk == old.pk and received[0]["successor"] == new


def test_an_expired_certificate_cannot_be_renewed(issue, cast, time_machine):
    certificate = issue(not_after=days_from_now(40))
    time_machine.move_to(days_from_now(41))

    with pytest.raises(CertificateError) as refused:
        services.certificate_renew(certificate=certificate, by=cast.officer_1)

    assert refused.value.code == "expired"


# --- change of information -----------------------------------------------------------------
def test_a_change_of_information_keeps_the_expiry_date(issue, cast, files, ca):
    old = issue(not_after=days_from_now(400))
    cast.subscriber.official_email = "ten-moi@thunghiem.gov.vn"
    cast.subscriber.save()

    new = services.certificate_change_info(certificate=old, by=cast.officer_1)

    old.refresh_from_db()
    assert new.not_after == old.not_after
    assert parsed(new).not_valid_after_utc == parsed(old).not_valid_after_utc
    emails = parsed(new).subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS)
    assert [a.value for a in emails] == ["ten-moi@thunghiem.gov.vn"]
    assert new.email == "ten-moi@thunghiem.gov.vn"
    assert public_der(new) == public_der(old)
    assert old.superseded_by == new
    assert old.revocation_reason == RevocationReason.SUPERSEDED
    services.crl_publish()
    assert verify(files, ca, new).returncode == 0


def test_the_superseded_certificate_is_on_the_crl_as_superseded(issue, cast, client):
    old = issue(not_after=days_from_now(400))
    services.certificate_change_info(certificate=old, by=cast.officer_1, common_name="Tên Mới")
    services.crl_publish()

    crl = x509.load_der_x509_crl(client.get("/ca/crl").content)

    entry = crl.get_revoked_certificate_by_serial_number(int(old.serial, 16))
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == (
        x509.ReasonFlags.superseded
    )


def test_a_person_moving_to_another_agency_keeps_a_certificate_filed_by_the_receiver(issue, cast):
    old = issue(not_after=days_from_now(400))
    new_unit = f.UnitFactory(parent=cast.agency_b, name="Phòng Kế hoạch")
    cast.subscriber.organization = new_unit
    cast.subscriber.save()

    new = services.certificate_change_info(certificate=old, by=cast.clerk_b, agency=cast.agency_b)

    assert new.agency == cast.agency_b
    assert new.organizational_units == "Sở Y tế tỉnh Lai Châu / Phòng Kế hoạch"
    assert new.not_after == old.not_after
    event = CertificateEvent.objects.get(certificate=new)
    assert event.kind == CertEventKind.INFO_CHANGED
    assert "Phòng Kế hoạch" in event.note


def test_an_organisation_renamed_gets_a_new_common_name(issue, cast):
    old = issue(subject_kind=SubjectKind.ORGANIZATION, not_after=days_from_now(400))
    cast.agency_a.name = "Sở Tài chính và Kế hoạch tỉnh Lai Châu"
    cast.agency_a.save()

    new = services.certificate_change_info(certificate=old, by=cast.officer_1)

    assert new.common_name == "Sở Tài chính và Kế hoạch tỉnh Lai Châu"
    assert new.not_after == old.not_after


def test_a_change_of_information_is_refused_with_29_days_left(issue, cast):
    certificate = issue(not_after=days_from_now(29))

    with pytest.raises(CertificateError) as refused:
        services.certificate_change_info(
            certificate=certificate, by=cast.officer_1, common_name="Tên Mới"
        )

    assert refused.value.code == "too_late"


def test_a_change_with_nothing_new_is_refused(issue, cast):
    certificate = issue()

    with pytest.raises(CertificateError) as refused:
        services.certificate_change_info(certificate=certificate, by=cast.officer_1)

    assert refused.value.code == "unchanged"


def test_a_change_of_information_writes_audit(issue, cast):
    old = issue()
    new = services.certificate_change_info(
        certificate=old, by=cast.officer_1, common_name="Nguyễn Văn Mới"
    )

    audit = AuditEvent.objects.get(action="certificate.change_info")
    assert audit.object_id == str(new.pk)
    assert audit.before["serial"] == old.serial
    assert audit.after["subject"] == new.subject_dn
