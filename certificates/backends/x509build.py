"""X.509 building for the simulated CA: names, keys, serials, certificates, CRLs, OCSP.

Pure construction with `cryptography`: nothing here reads or writes the database. The backend
(`simulated.SimulatedCABackend`) decides what to build and keeps the results.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from certificates.backends.base import RevokedEntry
from certificates.choices import RFC5280_REASON, KeyAlgorithm, RevocationReason
from certificates.subjects import SubjectInfo
from certificates.validity import add_years

ROOT_VALIDITY_YEARS = 20  # Decree 68 Art. 9: the CA's own certificate
SHA256 = hashes.SHA256()
OCSP_HASHES = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


# --- small helpers -----------------------------------------------------------------------
def naive_utc(value: datetime) -> datetime:
    """X.509 times: UTC, whole seconds (what the certificate will actually say)."""
    if value.tzinfo is UTC:  # what the database gives: one call (100,000 per big CRL)
        return value.replace(tzinfo=None, microsecond=0)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.replace(microsecond=0)


def aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def new_serial() -> int:
    """127 bits from the CSPRNG with the top bit set: 32 hex digits, positive (RFC 5280)."""
    return secrets.randbits(126) | (1 << 126)


def serial_hex(number: int) -> str:
    return format(number, "X")


def new_private_key(algorithm: str):
    if algorithm == KeyAlgorithm.RSA2048:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if algorithm == KeyAlgorithm.RSA3072:
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    if algorithm == KeyAlgorithm.RSA4096:
        return rsa.generate_private_key(public_exponent=65537, key_size=4096)
    if algorithm == KeyAlgorithm.EC_P256:
        return ec.generate_private_key(ec.SECP256R1())
    raise ImproperlyConfigured(f"unknown key algorithm {algorithm!r}")


def encrypt_private_key(key, secret: bytes) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(secret),
    )


def key_bits(public_key) -> bytes:
    """The subjectPublicKey BIT STRING contents (what SKI and OCSP key hashes digest)."""
    if isinstance(public_key, rsa.RSAPublicKey):
        return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    return public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def key_id(public_key) -> str:
    return x509.SubjectKeyIdentifier.from_public_key(public_key).digest.hex().upper()


def x509_name(subject: SubjectInfo) -> x509.Name:
    """C, L, O, OU…, CN, E from the top down (printed in reverse as E=…, CN=…, …, C=VN).

    Lengths are checked in characters by `SubjectInfo.validate` (RFC 5280 upper bounds);
    cryptography counts UTF-8 bytes, which would refuse ordinary Vietnamese names.
    """
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, subject.country)]
    if subject.locality:
        attrs.append(x509.NameAttribute(NameOID.LOCALITY_NAME, subject.locality))
    if subject.organization:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, subject.organization))
    attrs.extend(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, u) for u in subject.units)
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, subject.common_name, _validate=False))
    if subject.email:
        attrs.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, subject.email))
    return x509.Name(attrs)


def dn_string(name: x509.Name) -> str:
    """RFC 4514, with E= for the e-mail attribute as CAs and PDF readers print it."""
    return name.rfc4514_string({NameOID.EMAIL_ADDRESS: "E"})


def _escape_dn_value(value: str) -> str:
    """RFC 4514 §2.4 escaping, exactly as cryptography's `Name.rfc4514_string` does it."""
    if not value:
        return ""
    for char, escaped in _DN_ESCAPES:
        value = value.replace(char, escaped)
    if value[0] == "#" or (value[0] == " " and len(value) > 1):
        value = "\\" + value
    if value[-1] == " ":
        value = value[:-1] + "\\ "
    return value


_DN_ESCAPES = (
    ("\\", "\\\\"),
    ('"', '\\"'),
    ("+", "\\+"),
    (",", "\\,"),
    (";", "\\;"),
    ("<", "\\<"),
    (">", "\\>"),
    ("\0", "\\00"),
)


def subject_dn_string(subject: SubjectInfo) -> str:
    """`dn_string(x509_name(subject))` without building the Name twice (batch issuance)."""
    parts = []
    if subject.email:
        parts.append(f"E={_escape_dn_value(subject.email)}")
    parts.append(f"CN={_escape_dn_value(subject.common_name)}")
    parts.extend(f"OU={_escape_dn_value(unit)}" for unit in reversed(subject.units))
    if subject.organization:
        parts.append(f"O={_escape_dn_value(subject.organization)}")
    if subject.locality:
        parts.append(f"L={_escape_dn_value(subject.locality)}")
    parts.append(f"C={_escape_dn_value(subject.country)}")
    return ",".join(parts)


def subject_from_name(name: x509.Name) -> SubjectInfo:
    def values(oid):
        return [str(a.value) for a in name.get_attributes_for_oid(oid)]

    return SubjectInfo(
        common_name=(values(NameOID.COMMON_NAME) or [""])[0],
        email=(values(NameOID.EMAIL_ADDRESS) or [""])[0],
        organization=(values(NameOID.ORGANIZATION_NAME) or [""])[0],
        units=tuple(values(NameOID.ORGANIZATIONAL_UNIT_NAME)),
        locality=(values(NameOID.LOCALITY_NAME) or [""])[0],
        country=(values(NameOID.COUNTRY_NAME) or ["VN"])[0],
    )


def absolute_url(name: str, **kwargs) -> str:
    return settings.SITE_URL + reverse(name, kwargs=kwargs)


def distribution_extensions(authority_pk: int) -> list[tuple[x509.ExtensionType, bool]]:
    """CRL distribution point, OCSP and CA-issuers URLs of a CA, pointing at the portal."""
    return [
        (
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[
                            x509.UniformResourceIdentifier(
                                absolute_url("certificates:authority_crl", pk=authority_pk)
                            )
                        ],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            False,
        ),
        (
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.OCSP,
                        x509.UniformResourceIdentifier(absolute_url("certificates:ocsp")),
                    ),
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.CA_ISSUERS,
                        x509.UniformResourceIdentifier(
                            absolute_url("certificates:authority_cert", pk=authority_pk)
                        ),
                    ),
                ]
            ),
            False,
        ),
    ]


# --- CA certificates -----------------------------------------------------------------------
def ca_name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, settings.CA_ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name, _validate=False),
        ]
    )


def ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def build_root_certificate(*, key, common_name: str, now: datetime) -> x509.Certificate:
    """The self-signed root, valid ROOT_VALIDITY_YEARS from `now` (naive UTC)."""
    name = ca_name(common_name)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(new_serial())
        .not_valid_before(now)
        .not_valid_after(add_years(now, ROOT_VALIDITY_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(ca_key_usage(), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
            critical=False,
        )
        .sign(key, SHA256)
    )


def build_issuing_certificate(
    *, key, common_name: str, parent, root_pk: int, now: datetime, not_after: datetime
) -> x509.Certificate:
    """An issuing CA under `parent` (a loaded root: certificate, ski, private_key)."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(ca_name(common_name))
        .issuer_name(parent.certificate.subject)
        .public_key(key.public_key())
        .serial_number(new_serial())
        .not_valid_before(now)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(ca_key_usage(), critical=True)
    )
    return sign_under(builder, key=key, issuer=parent, issuer_pk=root_pk)


def sign_under(builder: x509.CertificateBuilder, *, key, issuer, issuer_pk: int):
    """`builder` with the key identifiers and `issuer_pk`'s CRL, OCSP and CA-issuers URLs,
    signed by `issuer` (a loaded CA): the tail every certificate the CA makes for itself shares."""
    builder = builder.add_extension(
        x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False
    ).add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer.ski),
        critical=False,
    )
    for value, critical in distribution_extensions(issuer_pk):
        builder = builder.add_extension(value, critical)
    return builder.sign(issuer.private_key, SHA256)


# --- subscriber certificates ---------------------------------------------------------------
def subscriber_extensions(
    authority_pk: int, ski: x509.SubjectKeyIdentifier
) -> list[x509.Extension]:
    """The extensions every subscriber certificate of one CA shares."""
    values = [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # nonRepudiation
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            True,
        ),
        (x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), False),
        *distribution_extensions(authority_pk),
    ]
    return [x509.Extension(value.oid, critical, value) for value, critical in values]


def build_subscriber_certificate(
    ca, *, subject: SubjectInfo, public_key, key_id_hex: str, start: datetime, end: datetime
) -> x509.Certificate:
    """A subscriber certificate signed by `ca` (a loaded issuing CA); times naive UTC."""
    extensions = [
        *ca.subscriber_extensions(),
        # key_id is the SHA-1 of the key's BIT STRING, computed when the key was made.
        x509.Extension(
            x509.SubjectKeyIdentifier.oid,
            False,
            x509.SubjectKeyIdentifier(bytes.fromhex(key_id_hex)),
        ),
    ]
    if subject.email:
        # The address was checked by the portal (official, ASCII) before reaching here.
        email = x509.RFC822Name._init_without_validation(subject.email)
        extensions.append(
            x509.Extension(
                x509.SubjectAlternativeName.oid, False, x509.SubjectAlternativeName([email])
            )
        )
    return x509.CertificateBuilder(
        issuer_name=ca.certificate.subject,
        subject_name=x509_name(subject),
        public_key=public_key,
        serial_number=new_serial(),
        not_valid_before=start,
        not_valid_after=end,
        extensions=extensions,
    ).sign(ca.private_key, SHA256)


# --- publication ---------------------------------------------------------------------------
def build_crl(
    ca,
    *,
    entries: Sequence[RevokedEntry],
    number: int,
    this_update: datetime,
    next_update: datetime,
) -> bytes:
    """The DER CRL of `ca` (a loaded CA) listing `entries`."""
    reason_extensions: dict[str, list[x509.Extension]] = {}

    def extensions_for(reason: str) -> list[x509.Extension]:
        if reason not in reason_extensions:
            flag = RFC5280_REASON.get(reason)
            reason_extensions[reason] = (
                [x509.Extension(x509.CRLReason.oid, False, x509.CRLReason(x509.ReasonFlags(flag)))]
                if flag and flag != "unspecified"
                else []
            )
        return reason_extensions[reason]

    # One RevokedCertificate per entry, then ONE builder call with the whole list (the
    # chained add_revoked_certificate copies the list each time: quadratic).
    revoked = [
        x509.RevokedCertificateBuilder(
            int(entry.serial, 16), naive_utc(entry.revoked_at), extensions_for(entry.reason)
        ).build()
        for entry in entries
    ]
    crl = x509.CertificateRevocationListBuilder(
        issuer_name=ca.certificate.subject,
        last_update=naive_utc(this_update),
        next_update=naive_utc(next_update),
        extensions=[
            x509.Extension(x509.CRLNumber.oid, False, x509.CRLNumber(number)),
            x509.Extension(
                x509.AuthorityKeyIdentifier.oid,
                False,
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca.ski),
            ),
        ],
        revoked_certificates=revoked,
    ).sign(ca.private_key, SHA256)
    return crl.public_bytes(serialization.Encoding.DER)


def ocsp_failure(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
        serialization.Encoding.DER
    )


def build_ocsp_response(
    signer, *, request: ocsp.OCSPRequest, status, now: datetime, next_update_minutes: int
) -> bytes:
    """The signed answer of `signer` (the loaded CA that issued the certificate) about the
    certificate of `request`: `status` None (unknown) or an object with revoked, revoked_at
    and reason."""
    revocation_time = revocation_reason = None
    if status is None:
        cert_status = ocsp.OCSPCertStatus.UNKNOWN
    elif status.revoked:
        cert_status = ocsp.OCSPCertStatus.REVOKED
        revocation_time = naive_utc(status.revoked_at)
        flag = RFC5280_REASON.get(status.reason or RevocationReason.AGENCY_REQUEST)
        revocation_reason = x509.ReasonFlags(flag) if flag else None
    else:
        cert_status = ocsp.OCSPCertStatus.GOOD
    builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
        issuer_name_hash=request.issuer_name_hash,
        issuer_key_hash=request.issuer_key_hash,
        serial_number=request.serial_number,
        algorithm=request.hash_algorithm,
        cert_status=cert_status,
        this_update=now,
        next_update=now + timedelta(minutes=next_update_minutes),
        revocation_time=revocation_time,
        revocation_reason=revocation_reason,
    )
    # Signed by the CA that issued the certificate (RFC 6960 §4.2.2.2), its certificate
    # included so that a client holding only the root can check the signature.
    builder = builder.responder_id(
        ocsp.OCSPResponderEncoding.HASH, signer.certificate
    ).certificates([signer.certificate])
    for extension in request.extensions:
        if isinstance(extension.value, x509.OCSPNonce):
            builder = builder.add_extension(extension.value, critical=False)
    return builder.sign(signer.private_key, SHA256).public_bytes(serialization.Encoding.DER)
