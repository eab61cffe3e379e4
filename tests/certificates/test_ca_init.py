"""The key ceremony: `manage.py ca_init`, idempotent, `--rotate`, PIN and passphrase rules."""

from datetime import timedelta
from io import StringIO

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.utils import timezone

from approvals.choices import ApprovalAction
from approvals.models import ApprovalRule
from certificates import services
from certificates.backends.ca_keys import DEV_CA_PASSPHRASE
from certificates.choices import AuthorityKind, RevocationReason
from certificates.models import CertificateAuthority, RevocationList
from certificates.validity import add_years
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db


def ca_init(*args) -> str:
    out = StringIO()
    call_command("ca_init", *args, stdout=out)
    return out.getvalue()


def test_it_creates_a_simulated_root_for_20_years_and_an_issuing_ca_under_it(db):
    output = ca_init()

    root = CertificateAuthority.objects.get(kind=AuthorityKind.ROOT)
    issuing = CertificateAuthority.objects.get(kind=AuthorityKind.ISSUING)
    root_cert = x509.load_der_x509_certificate(bytes(root.certificate_der))
    issuing_cert = x509.load_der_x509_certificate(bytes(issuing.certificate_der))
    root_cn = root_cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert root_cn.endswith("Root CA (mô phỏng)")
    assert "(mô phỏng)" in issuing.name
    assert root_cert.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "VN"
    assert root_cert.not_valid_after_utc == add_years(root_cert.not_valid_before_utc, 20)
    assert root_cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    issuing_cert.verify_directly_issued_by(root_cert)
    root_cert.verify_directly_issued_by(root_cert)
    constraints = issuing_cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert constraints.ca and constraints.path_length == 0
    assert issuing_cert.not_valid_after_utc <= root_cert.not_valid_after_utc
    assert issuing.parent == root
    assert root.serial in output and issuing.serial in output
    assert RevocationList.objects.count() == 2
    assert AuditEvent.objects.filter(action="ca.create").count() == 2


def test_a_second_run_changes_nothing(db):
    ca_init()
    fields = ("pk", "serial", "token_serial", "token_key_id", "private_key_pem")
    before = list(CertificateAuthority.objects.values_list(*fields))
    audit_count = AuditEvent.objects.count()

    output = ca_init()

    after = list(CertificateAuthority.objects.values_list(*fields))
    assert after == before
    assert "không có gì thay đổi" in output
    assert AuditEvent.objects.count() == audit_count


def test_rotate_creates_a_new_issuing_ca_and_keeps_the_old_one(issue, cast, ca):
    old_certificate = issue()
    # At once only where a rule needs no second person (docs/approvals.md; the request and its
    # approval are tests/approvals/test_ca_rotate.py).
    ApprovalRule.objects.create(action=ApprovalAction.CA_ROTATE, required=False)

    ca_init("--rotate")

    old = CertificateAuthority.objects.get(pk=ca.issuing.pk)
    new = CertificateAuthority.objects.get(kind=AuthorityKind.ISSUING, is_active=True)
    assert not old.is_active and old.retired_at is not None
    assert new.pk != old.pk and new.parent_id == ca.root.pk and new.generation == 2
    assert new.name != old.name
    assert CertificateAuthority.objects.filter(kind=AuthorityKind.ROOT).count() == 1
    assert AuditEvent.objects.filter(action="ca.retire", object_id=str(old.pk)).exists()
    # New certificates come from the new CA; the old one's stay checkable.
    assert issue().issuer_id == new.pk
    services.certificate_revoke(
        certificate=old_certificate, by=cast.ca_operator, reason=RevocationReason.RESIGNED
    )
    crl = services.crl_publish(authority=old)
    assert crl.entry_count == 1


def test_a_renewal_after_rotation_is_issued_by_the_new_ca(issue, cast, ca):
    certificate = issue(not_after=timezone.now() + timedelta(days=200))
    services.ca_initialize(rotate=True)

    renewed = services.certificate_renew(certificate=certificate, by=cast.officer_1)

    assert renewed.issuer.is_active and renewed.issuer_id != certificate.issuer_id


def test_production_without_a_passphrase_fails_loudly(db, settings):
    settings.CA_KEY_STORE = "file"
    settings.CA_KEY_PASSPHRASE = ""
    settings.CA_ALLOW_DEV_PASSPHRASE = False

    with pytest.raises(ImproperlyConfigured, match="CA_KEY_PASSPHRASE"):
        ca_init()
    assert not CertificateAuthority.objects.exists()


def test_a_short_passphrase_is_refused_in_production(db, settings):
    settings.CA_KEY_STORE = "file"
    settings.CA_KEY_PASSPHRASE = "ngan"
    settings.CA_ALLOW_DEV_PASSPHRASE = False

    with pytest.raises(ImproperlyConfigured, match="at least 16"):
        ca_init()


def test_the_marked_dev_passphrase_is_used_only_where_allowed(db, settings):
    settings.CA_KEY_STORE = "file"
    settings.CA_KEY_PASSPHRASE = ""
    settings.CA_ALLOW_DEV_PASSPHRASE = True

    ca_init()

    assert "DEV-ONLY" in DEV_CA_PASSPHRASE
    root = CertificateAuthority.objects.get(kind=AuthorityKind.ROOT)
    serialization.load_pem_private_key(bytes(root.private_key_pem), DEV_CA_PASSPHRASE.encode())


def test_the_deploy_check_reports_a_missing_passphrase(db, settings):
    from certificates.checks import check_ca_passphrases

    settings.CA_KEY_STORE = "file"
    settings.CA_KEY_PASSPHRASE = ""
    settings.CA_ALLOW_DEV_PASSPHRASE = False
    settings.DEBUG = False

    ids = {message.id for message in check_ca_passphrases(None)}

    assert "certificates.E001" in ids
    settings.CA_KEY_PASSPHRASE = "x" * 32
    settings.CA_DEVICE_KEY_PASSPHRASE = "y" * 32
    assert check_ca_passphrases(None) == []


def test_the_check_reports_an_unknown_key_algorithm(db, settings):
    from certificates.checks import check_ca_settings

    settings.CA_SUBSCRIBER_KEY_ALGORITHM = "rsa1024"

    assert "certificates.E003" in {message.id for message in check_ca_settings(None)}
