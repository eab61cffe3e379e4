"""Issuing: real X.509 that openssl and cryptography accept, with the subject of
docs/domain.md §8."""

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID
from django.utils import timezone

from certificates import services
from certificates.choices import CertEventKind, CertStatus, KeyAlgorithm, SubjectKind
from certificates.exceptions import CertificateError
from certificates.models import Certificate, CertificateEvent, DeviceKey
from certificates.validity import add_years
from portal.models import AuditEvent
from tests import factories as f
from tests.certificates.relying_party import openssl, verify

pytestmark = pytest.mark.django_db


def parsed(certificate: Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(bytes(certificate.der))


def issuer_of(certificate: Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(bytes(certificate.issuer.certificate_der))


def values(name: x509.Name, oid) -> list[str]:
    return [a.value for a in name.get_attributes_for_oid(oid)]


def test_it_issues_a_personal_certificate_that_openssl_verifies(issue, files, ca):
    certificate = issue()

    result = verify(files, ca, certificate)

    assert result.returncode == 0, result.stderr
    assert b": OK" in result.stdout


def test_the_subject_follows_domain_section_8(issue, cast):
    certificate = issue()
    subject = parsed(certificate).subject

    assert values(subject, NameOID.COUNTRY_NAME) == ["VN"]
    assert values(subject, NameOID.LOCALITY_NAME) == ["Lai Châu"]
    assert values(subject, NameOID.ORGANIZATION_NAME) == ["UBND TỈNH LAI CHÂU"]
    assert values(subject, NameOID.ORGANIZATIONAL_UNIT_NAME) == [
        "Sở Tài chính tỉnh Lai Châu",
        "Phòng Ngân sách",
    ]
    assert values(subject, NameOID.COMMON_NAME) == [cast.subscriber.full_name]
    assert values(subject, NameOID.EMAIL_ADDRESS) == [cast.subscriber.official_email]
    assert cast.subscriber.national_id not in subject.rfc4514_string()
    # The registry row says what the certificate says.
    assert certificate.common_name == cast.subscriber.full_name
    assert certificate.organization_name == "UBND TỈNH LAI CHÂU"
    assert certificate.organizational_units == "Sở Tài chính tỉnh Lai Châu / Phòng Ngân sách"
    assert certificate.locality == "Lai Châu"
    assert certificate.subject_dn.startswith(f"E={cast.subscriber.official_email},CN=")
    assert certificate.subject_dn.endswith(",L=Lai Châu,C=VN")


def test_openssl_prints_the_vietnamese_subject(issue, files):
    certificate = issue()
    result = openssl(
        "x509", "-noout", "-subject", "-nameopt", "utf8,sep_comma_plus",
        "-in", files.certificate(certificate),
    )  # fmt: skip

    assert result.returncode == 0
    assert "O=UBND TỈNH LAI CHÂU" in result.stdout.decode()
    assert "CN=Nguyễn Văn Thử" in result.stdout.decode()


def test_it_sets_the_extensions_of_a_subscriber_certificate(issue, ca, settings):
    certificate = issue()
    cert, issuer = parsed(certificate), issuer_of(certificate)
    extensions = cert.extensions

    key_usage = extensions.get_extension_for_class(x509.KeyUsage)
    assert key_usage.critical
    assert key_usage.value.digital_signature and key_usage.value.content_commitment
    assert not key_usage.value.key_cert_sign and not key_usage.value.key_encipherment
    assert extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    ski = extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert ski == x509.SubjectKeyIdentifier.from_public_key(cert.public_key())
    aki = extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    issuer_ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == issuer_ski.digest
    crl_dp = extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert [n.value for n in crl_dp[0].full_name] == [f"{settings.SITE_URL}/ca/{ca.issuing.pk}/crl"]
    aia = extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    urls = {d.access_method: d.access_location.value for d in aia}
    assert urls[AuthorityInformationAccessOID.OCSP] == f"{settings.SITE_URL}/ca/ocsp"
    assert urls[AuthorityInformationAccessOID.CA_ISSUERS] == (
        f"{settings.SITE_URL}/ca/{ca.issuing.pk}.cer"
    )
    san = extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.RFC822Name) == [certificate.email]
    cert.verify_directly_issued_by(issuer)


def test_it_uses_a_random_serial_of_at_least_64_bits(issue):
    serials = {issue().serial for _ in range(3)}

    assert len(serials) == 3
    for serial in serials:
        number = int(serial, 16)
        assert number.bit_length() >= 64
        assert serial == format(number, "X")


def test_it_defaults_to_five_years_and_refuses_more(issue):
    now = timezone.now()
    certificate = issue()

    assert certificate.not_after <= add_years(now, 5) + timedelta(seconds=5)
    assert certificate.not_after >= add_years(now, 5) - timedelta(seconds=5)
    assert parsed(certificate).not_valid_after_utc == certificate.not_after
    with pytest.raises(CertificateError) as refused:
        issue(not_after=add_years(timezone.now(), 5) + timedelta(days=1))
    assert refused.value.code == "validity"


def test_the_key_is_generated_on_the_simulated_device(issue, cast):
    device = f.DeviceFactory(agency=cast.agency_a, holder=cast.subscriber)
    certificate = issue(device=device)

    key = DeviceKey.objects.get(pk=certificate.key_id)
    assert key.device == device
    assert key.algorithm == KeyAlgorithm.RSA2048
    public_key = parsed(certificate).public_key()
    assert isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size == 2048
    assert certificate.device == device


@pytest.mark.parametrize(
    ("algorithm", "check"),
    [
        ("rsa3072", lambda k: isinstance(k, rsa.RSAPublicKey) and k.key_size == 3072),
        ("ec_p256", lambda k: isinstance(k, ec.EllipticCurvePublicKey) and k.curve.name == "secp256r1"),
    ],
)  # fmt: skip
def test_the_subscriber_key_algorithm_is_a_setting(issue, settings, files, ca, algorithm, check):
    settings.CA_SUBSCRIBER_KEY_ALGORITHM = algorithm
    certificate = issue()

    assert check(parsed(certificate).public_key())
    assert verify(files, ca, certificate).returncode == 0


def test_it_refuses_a_key_algorithm_outside_the_rules(issue):
    with pytest.raises(CertificateError) as refused:
        issue(key_algorithm="rsa1024")
    assert refused.value.code == "key_algorithm"


def test_it_issues_an_organisation_certificate(issue, cast, files, ca):
    certificate = issue(subject_kind=SubjectKind.ORGANIZATION)
    subject = parsed(certificate).subject

    assert values(subject, NameOID.COMMON_NAME) == ["Sở Tài chính tỉnh Lai Châu"]
    assert values(subject, NameOID.ORGANIZATION_NAME) == ["UBND TỈNH LAI CHÂU"]
    assert values(subject, NameOID.ORGANIZATIONAL_UNIT_NAME) == []
    assert values(subject, NameOID.EMAIL_ADDRESS) == [cast.agency_a.official_email]
    assert certificate.subject_organization == cast.agency_a
    assert verify(files, ca, certificate).returncode == 0


def test_it_issues_a_device_service_certificate(issue, cast, files, ca):
    certificate = issue(
        subject_kind=SubjectKind.DEVICE_SERVICE,
        common_name="Hệ thống quản lý văn bản và điều hành v3.2",
        unit=cast.unit_a,
    )
    subject = parsed(certificate).subject

    assert values(subject, NameOID.COMMON_NAME) == ["Hệ thống quản lý văn bản và điều hành v3.2"]
    assert values(subject, NameOID.ORGANIZATIONAL_UNIT_NAME)[-1] == "Phòng Ngân sách"
    assert verify(files, ca, certificate).returncode == 0


def test_a_device_service_certificate_needs_a_name(issue):
    with pytest.raises(CertificateError) as refused:
        issue(subject_kind=SubjectKind.DEVICE_SERVICE)
    assert refused.value.code == "subject"


def test_it_refuses_a_person_of_another_agency(issue, cast):
    with pytest.raises(CertificateError) as refused:
        issue(agency=cast.agency_b)
    assert refused.value.code == "not_in_agency"


def test_it_refuses_a_unit_as_managing_agency(issue, cast):
    with pytest.raises(CertificateError) as refused:
        issue(agency=cast.unit_a)
    assert refused.value.code == "not_agency"


def test_a_long_vietnamese_name_within_64_characters_is_accepted(issue, cast):
    # 61 characters, well over 64 bytes in UTF-8: RFC 5280 counts characters.
    name = "Trung tâm Công nghệ thông tin và Truyền thông tỉnh Lai Châu mới"
    certificate = issue(subject_kind=SubjectKind.DEVICE_SERVICE, common_name=name)

    assert values(parsed(certificate).subject, NameOID.COMMON_NAME) == [name]
    with pytest.raises(CertificateError):
        issue(subject_kind=SubjectKind.DEVICE_SERVICE, common_name=name + " số hai")


def test_a_batch_is_issued_all_or_nothing(ca, cast):
    good = services.IssueOrder(
        subject_kind=SubjectKind.PERSON, agency=cast.agency_a, person=cast.subscriber
    )
    bad = services.IssueOrder(subject_kind=SubjectKind.DEVICE_SERVICE, agency=cast.agency_a)

    with pytest.raises(CertificateError):
        services.certificate_issue_batch(orders=[good, bad], by=cast.ca_operator)
    assert not Certificate.objects.exists()

    other = f.PersonFactory(organization=cast.agency_a)
    issued = services.certificate_issue_batch(
        orders=[good, services.IssueOrder(subject_kind="person", agency=cast.agency_a, person=other)],
        by=cast.ca_operator,
    )  # fmt: skip
    assert [c.person for c in issued] == [cast.subscriber, other]
    assert all(c.pk for c in issued)
    # One audit event for the batch, naming each certificate; each has its history row.
    audit = AuditEvent.objects.get(action="certificate.issue_batch")
    assert audit.actor_id == cast.ca_operator.pk
    assert [c["serial"] for c in audit.after["certificates"]] == [c.serial for c in issued]
    assert CertificateEvent.objects.filter(certificate__in=issued, kind="issued").count() == 2


def test_a_key_already_on_the_device_is_used(ca, cast, issue):
    device = f.DeviceFactory(agency=cast.agency_a)
    key = services.device_key_generate(device=device, by=cast.ca_operator)
    certificate = issue(device=device, device_key=key)

    assert certificate.key == key
    assert DeviceKey.objects.count() == 1
    with pytest.raises(CertificateError) as refused:
        issue(device=device, device_key=key)
    assert refused.value.code == "key_in_use"


def test_issuing_writes_history_and_audit(issue, cast):
    certificate = issue()

    event = CertificateEvent.objects.get(certificate=certificate)
    assert event.kind == CertEventKind.ISSUED and event.actor == cast.ca_operator
    audit = AuditEvent.objects.get(action="certificate.issue")
    assert audit.object_id == str(certificate.pk)
    assert audit.actor_id == cast.ca_operator.pk
    assert audit.after["serial"] == certificate.serial
    assert certificate.status == CertStatus.VALID


def test_it_refuses_to_issue_before_the_key_ceremony(cast):
    with pytest.raises(CertificateError) as refused:
        services.certificate_issue(
            subject_kind=SubjectKind.PERSON,
            agency=cast.agency_a,
            person=cast.subscriber,
            by=cast.ca_operator,
        )
    assert refused.value.code == "no_ca"
