"""The organisations' codes and the letters of the edXML tests (test_edxml.py,
test_edxml_hostile.py, bench/bench_edxml.py)."""

import contextlib
import secrets
from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID
from django.utils import timezone

from agencies.choices import Role
from agencies.models import Organization
from certificates.backends import get_backend
from certificates.backends.base import IssueRequest
from certificates.choices import SubjectKind
from certificates.models import Certificate
from certificates.subjects import subject_for
from portal.lib import pkcs11 as p11
from tests import factories as f

CODES = {
    "province_1": "000.00.00.H03",
    "office_1": "000.00.12.H03",
    "agency_a": "000.00.05.H03",
    "ca_org": "000.00.01.G14",
}


@contextlib.contextmanager
def coded(cast):
    """The cast's organisations with their codes, in the database and on the cast's objects
    (which outlive the test: put back after it)."""
    for name, code in CODES.items():
        org = getattr(cast, name)
        Organization.objects.filter(pk=org.pk).update(code=code)
        org.code = code
    try:
        yield
    finally:
        for name in CODES:
            getattr(cast, name).code = None


def ca_registrar(cast):
    """A second account of the CA, its registry clerk (văn thư): who imports a package is its
    letter's creator, so another operator decides on it (the lifecycle's "not the drafter")."""
    user = f.UserFactory(username="ca_registrar")
    f.MembershipFactory(user=user, role=Role.CA_OPERATOR, organization=cast.ca_org)
    return user


EXCHANGE_PIN = "exchange-user-pin"


def exchange_token(
    org,
    *,
    common_name="Hệ thống quản lý văn bản và điều hành",
    kind=SubjectKind.DEVICE_SERVICE,
    subject_organization=None,
):
    """A system certificate of `org` (Mẫu 03: a device, service or software; registered as
    the CA registers one, naming no unit) with its key made inside a SoftHSM2 token, issued
    by the simulated CA from the token's PKCS#10 request and written back onto the token, as
    `org`'s document-management system would hold it. `kind` and `subject_organization`
    register it otherwise (a seal, a person's). Returns the registry's certificate and the
    EDXML_SIGNING_* settings that name the token."""
    serial = p11.token_create(
        label=f"exchange-{secrets.token_hex(3)}", so_pin="exchange-so-pin", user_pin=EXCHANGE_PIN
    )
    key_id = secrets.token_bytes(8)
    with p11.session(serial, user_pin=EXCHANGE_PIN, rw=True) as session:
        public_der = p11.keypair_generate(
            session, key_id=key_id, label="exchange", algorithm="rsa2048"
        )
        key = p11.signing_key(session, key_id=key_id, public_der=public_der)
        csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .sign(key, hashes.SHA256())
        )
        now = timezone.now()
        issued = get_backend().issue(
            requests=[
                IssueRequest(
                    subject=subject_for(
                        node=org, common_name=common_name, email="vanthu@example.gov.vn"
                    ),
                    not_before=now,
                    not_after=now + timedelta(days=365),
                    key_algorithm="rsa2048",
                    csr_der=csr.public_bytes(serialization.Encoding.DER),
                )
            ]
        )[0]
        p11.certificate_store(session, key_id=key_id, label="exchange", der=issued.der)
    certificate = Certificate.objects.create(
        serial=issued.serial,
        subject_kind=kind,
        agency=org,
        subject_organization=subject_organization,
        person=f.PersonFactory(organization=org) if kind == SubjectKind.PERSON else None,
        common_name=common_name,
        email="vanthu@example.gov.vn",
        not_before=issued.not_before,
        not_after=issued.not_after,
        issuer=issued.authority,
        key=issued.key,
        der=issued.der,
        subject_dn=issued.subject_dn,
    )
    return certificate, {
        "EDXML_SIGNING_TOKEN_SERIAL": serial,
        "EDXML_SIGNING_PIN": EXCHANGE_PIN,
        "EDXML_SIGNING_KEY_ID": key_id.hex(),
    }
