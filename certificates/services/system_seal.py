"""The demo's system certificate (`make run`): the portal seals the PDF copy a person downloads
of their own data with its system certificate on a PKCS#11 token (certificates/signing/
system.py, docs/privacy.md §5). A real deployment is given its token and the
PORTAL_SYSTEM_SIGNING_* settings by its operator; the demo makes its own: a SoftHSM2 token
labelled DEMO_LABEL with the published demo PIN, a key pair generated inside it, and a Mẫu 03
certificate of the CA's organisation issued by the simulated CA from the token's request and
stored beside the key. Idempotent: a token already holding its certificate is kept.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID
from django.db import transaction
from django.utils import timezone

from agencies.choices import OrgKind
from agencies.models import Organization
from certificates.backends import get_backend
from certificates.backends.base import IssueRequest
from certificates.choices import SubjectKind
from certificates.models import Certificate
from certificates.subjects import subject_for
from devices.services import DEMO_PIN
from portal.audit import audit_record
from portal.lib import pkcs11

DEMO_LABEL = "CONG-HE-THONG-DEMO"
COMMON_NAME = "Cổng chữ ký số chuyên dùng công vụ (demo)"
EMAIL = "he-thong@example.gov.vn"
KEY_LABEL = "system-seal"
KEY_ID = b"SYSSEAL1"


def _existing() -> dict[str, str] | None:
    """A demo token whose certificate the registry still holds (a token left from a database
    made afresh is passed over)."""
    for serial in pkcs11.token_serials(DEMO_LABEL):
        with pkcs11.session(serial, user_pin=DEMO_PIN) as session:
            der = pkcs11.certificate_of_key(session, key_id=KEY_ID)
        if der is None:
            continue
        number = x509.load_der_x509_certificate(der).serial_number
        if Certificate.objects.filter(serial=f"{number:X}", der=der).exists():
            return _settings(serial, KEY_ID)
    return None


def _settings(serial: str, key_id: bytes) -> dict[str, str]:
    return {
        "PORTAL_SYSTEM_SIGNING_TOKEN_SERIAL": serial,
        "PORTAL_SYSTEM_SIGNING_PIN": DEMO_PIN,
        "PORTAL_SYSTEM_SIGNING_KEY_ID": key_id.hex(),
    }


def system_seal_demo_ensure(*, by=None) -> dict[str, str]:
    """The demo's system token with its certificate (made when missing); the settings that
    name it."""
    found = _existing()
    if found is not None:
        return found
    ca_org = Organization.objects.filter(kind=OrgKind.CA).order_by("pk").first()
    if ca_org is None:
        raise RuntimeError("no CA organisation: load the demo first (manage.py seed_demo)")
    serial = pkcs11.token_create(label=DEMO_LABEL, so_pin=secrets.token_hex(8), user_pin=DEMO_PIN)
    key_id = KEY_ID
    with pkcs11.session(serial, user_pin=DEMO_PIN, rw=True) as session:
        public_der = pkcs11.keypair_generate(
            session, key_id=key_id, label=KEY_LABEL, algorithm="rsa2048"
        )
        key = pkcs11.signing_key(session, key_id=key_id, public_der=public_der)
        csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, COMMON_NAME)]))
            .sign(key, hashes.SHA256())
        )
        now = timezone.now()
        with transaction.atomic():
            issued = get_backend().issue(
                requests=[
                    IssueRequest(
                        subject=subject_for(node=ca_org, common_name=COMMON_NAME, email=EMAIL),
                        not_before=now,
                        not_after=now + timedelta(days=365 * 3),
                        key_algorithm="rsa2048",
                        csr_der=csr.public_bytes(serialization.Encoding.DER),
                    )
                ]
            )[0]
            certificate = Certificate.objects.create(
                serial=issued.serial, subject_kind=SubjectKind.DEVICE_SERVICE, agency=ca_org,
                common_name=COMMON_NAME, email=EMAIL, not_before=issued.not_before,
                not_after=issued.not_after, issuer=issued.authority, key=issued.key,
                der=issued.der, subject_dn=issued.subject_dn,
            )  # fmt: skip
            audit_record(
                actor=by,
                action="certificate.system_seal_demo",
                obj=certificate,
                after={"serial": certificate.serial, "token": serial},
            )
        pkcs11.certificate_store(session, key_id=key_id, label=KEY_LABEL, der=issued.der)
    return _settings(serial, key_id)
