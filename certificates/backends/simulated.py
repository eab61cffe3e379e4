"""The simulated CA: a real X.509 hierarchy built with `cryptography`, keys in the database.

Root "… Root CA (mô phỏng)" (20 years) → issuing CA → subscriber certificates. Private keys
are PKCS#8, encrypted with `BestAvailableEncryption` (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC)
under a passphrase from the environment, decrypted in memory once per process.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates.backends.base import (
    CABackend,
    IssuedCertificate,
    IssueRequest,
    OcspLookup,
    RevokedEntry,
    SigningMaterial,
)
from certificates.choices import RFC5280_REASON, AuthorityKind, KeyAlgorithm, RevocationReason
from certificates.exceptions import CertificateError
from certificates.subjects import SubjectInfo
from certificates.validity import add_years

log = logging.getLogger(__name__)

ROOT_VALIDITY_YEARS = 20  # Decree 68 Art. 9: the CA's own certificate
# Used only where CA_ALLOW_DEV_PASSPHRASE is on (DEBUG, tests): never in production.
DEV_CA_PASSPHRASE = "DEV-ONLY mô phỏng: không dùng cho CA thật"  # noqa: S105
DEV_DEVICE_PASSPHRASE = "DEV-ONLY mô phỏng: khóa thiết bị"  # noqa: S105
MIN_PASSPHRASE_LENGTH = 16
SHA256 = hashes.SHA256()
_OCSP_HASHES = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


# --- small helpers -----------------------------------------------------------------------
def passphrase(setting: str, dev_default: str) -> bytes:
    """The passphrase in `setting`; the marked dev default only where explicitly allowed."""
    value = getattr(settings, setting, "") or ""
    if value:
        if len(value) < MIN_PASSPHRASE_LENGTH and not settings.CA_ALLOW_DEV_PASSPHRASE:
            raise ImproperlyConfigured(
                f"{setting} must be at least {MIN_PASSPHRASE_LENGTH} characters long"
            )
        return value.encode()
    if settings.CA_ALLOW_DEV_PASSPHRASE:
        return dev_default.encode()
    raise ImproperlyConfigured(
        f"{setting} is not set: the CA keys cannot be encrypted or used without it "
        "(set CA_ALLOW_DEV_PASSPHRASE=1 only on a development machine)"
    )


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


# --- loaded CAs ----------------------------------------------------------------------------
@dataclass
class LoadedAuthority:
    """A CA's certificate parsed once, its key decrypted on first use, per process."""

    pk: int
    kind: str
    certificate: x509.Certificate
    _encrypted_key: bytes | None
    _private_key: object = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _subscriber_extensions: list | None = None
    _ocsp_hashes: dict = field(default_factory=dict)

    @property
    def private_key(self):
        if self._private_key is None:
            with self._lock:
                if self._private_key is None:
                    if not self._encrypted_key:
                        raise CertificateError(
                            _("CA này không có khóa bí mật trong hệ thống."), code="no_key"
                        )
                    self._private_key = serialization.load_pem_private_key(
                        self._encrypted_key, passphrase("CA_KEY_PASSPHRASE", DEV_CA_PASSPHRASE)
                    )
        return self._private_key

    @cached_property
    def not_after(self) -> datetime:
        """The CA's own expiry, naive UTC (as the builder takes it)."""
        return self.certificate.not_valid_after_utc.replace(tzinfo=None)

    @property
    def ski(self) -> x509.SubjectKeyIdentifier:
        return self.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value

    def subscriber_extensions(self) -> list[x509.Extension]:
        """The extensions every subscriber certificate of this CA shares (built once)."""
        if self._subscriber_extensions is None:
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
                (x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(self.ski), False),
                *distribution_extensions(self.pk),
            ]
            self._subscriber_extensions = [
                x509.Extension(value.oid, critical, value) for value, critical in values
            ]
        return self._subscriber_extensions

    def ocsp_hashes(self, algorithm_name: str) -> tuple[bytes, bytes]:
        """(issuerNameHash, issuerKeyHash) of this CA for an OCSP CertID hash algorithm."""
        if algorithm_name not in self._ocsp_hashes:
            algorithm = _OCSP_HASHES[algorithm_name]
            name_digest = hashes.Hash(algorithm())
            name_digest.update(self.certificate.subject.public_bytes())
            key_digest = hashes.Hash(algorithm())
            key_digest.update(key_bits(self.certificate.public_key()))
            self._ocsp_hashes[algorithm_name] = (name_digest.finalize(), key_digest.finalize())
        return self._ocsp_hashes[algorithm_name]


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


_CACHE: dict[tuple[int, bytes], LoadedAuthority] = {}
_CACHE_LOCK = threading.Lock()


def load_authority(authority) -> LoadedAuthority:
    """The parsed CA for a `CertificateAuthority` row (cached per process by its DER)."""
    der = bytes(authority.certificate_der)
    cache_key = (authority.pk, hashlib.sha256(der).digest())
    loaded = _CACHE.get(cache_key)
    if loaded is None:
        from certificates.models import CertificateAuthority

        encrypted = (
            CertificateAuthority.objects.filter(pk=authority.pk)
            .values_list("private_key_pem", flat=True)
            .first()
        )
        loaded = LoadedAuthority(
            pk=authority.pk,
            kind=authority.kind,
            certificate=x509.load_der_x509_certificate(der),
            _encrypted_key=bytes(encrypted) if encrypted else None,
        )
        with _CACHE_LOCK:
            if len(_CACHE) > 64:
                _CACHE.clear()
            _CACHE[cache_key] = loaded
    return loaded


# --- the backend ---------------------------------------------------------------------------
class SimulatedCABackend(CABackend):
    # --- key ceremony -----------------------------------------------------------------
    def initialize(self, *, rotate: bool = False) -> list:
        from certificates.models import CertificateAuthority

        created = []
        with transaction.atomic():
            root = CertificateAuthority.objects.select_for_update().active_root().first()
            if root is None:
                root = self._create_root()
                created.append(root)
            issuing = CertificateAuthority.objects.select_for_update().active_issuing().first()
            if issuing is None or (rotate and not created):
                generation = 1
                if issuing is not None:
                    issuing.is_active = False
                    issuing.retired_at = timezone.now()
                    issuing.save(update_fields=["is_active", "retired_at"])
                    generation = issuing.generation + 1
                created.append(self._create_issuing(root, generation))
        return created

    def _ca_name(self, common_name: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, settings.CA_ORGANIZATION),
                x509.NameAttribute(NameOID.COMMON_NAME, common_name, _validate=False),
            ]
        )

    def _ca_key_usage(self) -> x509.KeyUsage:
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

    def _save_authority(self, *, kind, name, generation, parent, cert, key, algorithm):
        from certificates.models import CertificateAuthority

        return CertificateAuthority.objects.create(
            kind=kind,
            name=name,
            generation=generation,
            parent=parent,
            serial=serial_hex(cert.serial_number),
            subject_dn=dn_string(cert.subject),
            key_id=key_id(cert.public_key()),
            key_algorithm=algorithm,
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            certificate_der=cert.public_bytes(serialization.Encoding.DER),
            private_key_pem=encrypt_private_key(
                key, passphrase("CA_KEY_PASSPHRASE", DEV_CA_PASSPHRASE)
            ),
            is_active=True,
        )

    def _create_root(self):
        algorithm = settings.CA_ROOT_KEY_ALGORITHM
        key = new_private_key(algorithm)
        name = self._ca_name(settings.CA_ROOT_NAME)
        now = naive_utc(timezone.now())
        ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(new_serial())
            .not_valid_before(now)
            .not_valid_after(add_years(now, ROOT_VALIDITY_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .add_extension(self._ca_key_usage(), critical=True)
            .add_extension(ski, critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
                critical=False,
            )
            .sign(key, SHA256)
        )
        return self._save_authority(
            kind=AuthorityKind.ROOT,
            name=settings.CA_ROOT_NAME,
            generation=1,
            parent=None,
            cert=cert,
            key=key,
            algorithm=algorithm,
        )

    def _create_issuing(self, root, generation: int):
        algorithm = settings.CA_ISSUING_KEY_ALGORITHM
        template = settings.CA_ISSUING_NAME
        if "{generation}" in template:
            common_name = template.format(generation=generation)
        else:
            common_name = template if generation == 1 else f"{template} - {generation}"
        parent = load_authority(root)
        key = new_private_key(algorithm)
        now = naive_utc(timezone.now())
        not_after = min(
            add_years(now, settings.CA_ISSUING_VALIDITY_YEARS),
            parent.certificate.not_valid_after_utc.replace(tzinfo=None),
        )
        builder = (
            x509.CertificateBuilder()
            .subject_name(self._ca_name(common_name))
            .issuer_name(parent.certificate.subject)
            .public_key(key.public_key())
            .serial_number(new_serial())
            .not_valid_before(now)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(self._ca_key_usage(), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(parent.ski),
                critical=False,
            )
        )
        for value, critical in distribution_extensions(root.pk):
            builder = builder.add_extension(value, critical)
        cert = builder.sign(parent.private_key, SHA256)
        return self._save_authority(
            kind=AuthorityKind.ISSUING,
            name=common_name,
            generation=generation,
            parent=root,
            cert=cert,
            key=key,
            algorithm=algorithm,
        )

    # --- subscriber keys (the simulated device) -----------------------------------------
    def generate_device_key(self, *, device, algorithm: str):
        return self._generate_device_keys([(device, algorithm)])[0]

    def _generate_device_keys(self, wanted: Sequence[tuple[object, str]]) -> list:
        from certificates.models import DeviceKey

        secret = passphrase("CA_DEVICE_KEY_PASSPHRASE", DEV_DEVICE_PASSPHRASE)
        rows = []
        for device, algorithm in wanted:
            private_key = new_private_key(algorithm)
            public_key = private_key.public_key()
            row = DeviceKey(
                device=device,
                algorithm=algorithm,
                key_id=key_id(public_key),
                public_key_der=public_key.public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
                ),
                private_key_pem=encrypt_private_key(private_key, secret),
            )
            row._public_key = public_key
            rows.append(row)
        return DeviceKey.objects.bulk_create(rows)

    @staticmethod
    def _public_key_of(device_key):
        cached = getattr(device_key, "_public_key", None)
        if cached is None:
            cached = serialization.load_der_public_key(bytes(device_key.public_key_der))
            device_key._public_key = cached
        return cached

    # --- certificates -----------------------------------------------------------------
    def _issuing(self):
        from certificates.models import CertificateAuthority

        authority = CertificateAuthority.objects.public().active_issuing().first()
        if authority is None:
            raise CertificateError(
                _("Chưa khởi tạo CA: chạy lệnh `manage.py ca_init` trước."), code="no_ca"
            )
        return authority

    def _sign(self, authority, ca: LoadedAuthority, *, subject, key, not_before, not_after):
        start, end = naive_utc(not_before), naive_utc(not_after)
        if end > ca.not_after:
            raise CertificateError(
                _(
                    "Hạn của chứng thư vượt quá hạn của CA phát hành (%(date)s): "
                    "cần thay khóa CA (ca_init --rotate)."
                )
                % {"date": f"{ca.not_after:%d/%m/%Y}"},
                code="ca_expiring",
            )
        extensions = [
            *ca.subscriber_extensions(),
            # key_id is the SHA-1 of the key's BIT STRING, computed when the key was made.
            x509.Extension(
                x509.SubjectKeyIdentifier.oid,
                False,
                x509.SubjectKeyIdentifier(bytes.fromhex(key.key_id)),
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
        name = x509_name(subject)
        cert = x509.CertificateBuilder(
            issuer_name=ca.certificate.subject,
            subject_name=name,
            public_key=self._public_key_of(key),
            serial_number=new_serial(),
            not_valid_before=start,
            not_valid_after=end,
            extensions=extensions,
        ).sign(ca.private_key, SHA256)
        return IssuedCertificate(
            serial=serial_hex(cert.serial_number),
            der=cert.public_bytes(serialization.Encoding.DER),
            subject_dn=subject_dn_string(subject),
            not_before=aware(start),
            not_after=aware(end),
            authority=authority,
            key=key,
        )

    def issue(self, *, requests: Sequence[IssueRequest]) -> list[IssuedCertificate]:
        authority = self._issuing()
        ca = load_authority(authority)
        ca.private_key  # noqa: B018 - fail on a bad passphrase before generating any key
        missing = [(r.device, r.key_algorithm) for r in requests if r.key is None]
        new_keys = iter(self._generate_device_keys(missing)) if missing else iter(())
        issued = []
        for request in requests:
            key = request.key if request.key is not None else next(new_keys)
            issued.append(
                self._sign(
                    authority,
                    ca,
                    subject=request.subject,
                    key=key,
                    not_before=request.not_before,
                    not_after=request.not_after,
                )
            )
        return issued

    def _reissue(self, previous, *, subject: SubjectInfo | None, not_after: datetime):
        if previous.key_id is None:
            raise CertificateError(
                _("Không tìm thấy cặp khóa của chứng thư này trên thiết bị."), code="no_key"
            )
        if subject is None:
            subject = subject_from_name(x509.load_der_x509_certificate(bytes(previous.der)).subject)
        authority = self._issuing()
        return self._sign(
            authority,
            load_authority(authority),
            subject=subject,
            key=previous.key,
            not_before=timezone.now(),
            not_after=not_after,
        )

    def renew(self, *, previous, not_after: datetime) -> IssuedCertificate:
        return self._reissue(previous, subject=None, not_after=not_after)

    def change_info(self, *, previous, subject: SubjectInfo) -> IssuedCertificate:
        return self._reissue(previous, subject=subject, not_after=previous.not_after)

    def revoke(self, *, certificate, reason: str, revoked_at: datetime) -> None:
        """The simulated CA's revocation database is the registry itself: nothing to send."""

    # --- publication ------------------------------------------------------------------
    def build_crl(
        self,
        *,
        authority,
        entries: Sequence[RevokedEntry],
        number: int,
        this_update: datetime,
        next_update: datetime,
    ) -> bytes:
        ca = load_authority(authority)
        reason_extensions: dict[str, list[x509.Extension]] = {}

        def extensions_for(reason: str) -> list[x509.Extension]:
            if reason not in reason_extensions:
                flag = RFC5280_REASON.get(reason)
                reason_extensions[reason] = (
                    [
                        x509.Extension(
                            x509.CRLReason.oid, False, x509.CRLReason(x509.ReasonFlags(flag))
                        )
                    ]
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

    def ocsp_response(self, *, request_der: bytes, lookup: OcspLookup) -> bytes:
        from certificates.models import CertificateAuthority

        def failure(status: ocsp.OCSPResponseStatus) -> bytes:
            return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
                serialization.Encoding.DER
            )

        try:
            request = ocsp.load_der_ocsp_request(request_der)
            algorithm = request.hash_algorithm
            name_hash, key_hash = request.issuer_name_hash, request.issuer_key_hash
            serial_number = request.serial_number
        except (ValueError, UnsupportedAlgorithm):
            return failure(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
        if algorithm.name not in _OCSP_HASHES:
            return failure(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)

        signer = None
        for authority in CertificateAuthority.objects.public():
            loaded = load_authority(authority)
            if loaded.ocsp_hashes(algorithm.name) == (name_hash, key_hash):
                signer = (authority, loaded)
                break
        if signer is None:
            return failure(ocsp.OCSPResponseStatus.UNAUTHORIZED)
        authority, loaded = signer

        status = lookup(authority, serial_hex(serial_number))
        now = naive_utc(timezone.now())
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
            issuer_name_hash=name_hash,
            issuer_key_hash=key_hash,
            serial_number=serial_number,
            algorithm=algorithm,
            cert_status=cert_status,
            this_update=now,
            next_update=now + timedelta(minutes=settings.CA_OCSP_NEXT_UPDATE_MINUTES),
            revocation_time=revocation_time,
            revocation_reason=revocation_reason,
        )
        # Signed by the CA that issued the certificate (RFC 6960 §4.2.2.2), its certificate
        # included so that a client holding only the root can check the signature.
        builder = builder.responder_id(
            ocsp.OCSPResponderEncoding.HASH, loaded.certificate
        ).certificates([loaded.certificate])
        for extension in request.extensions:
            if isinstance(extension.value, x509.OCSPNonce):
                builder = builder.add_extension(extension.value, critical=False)
        response = builder.sign(loaded.private_key, SHA256)
        return response.public_bytes(serialization.Encoding.DER)

    def chain(self, *, authority) -> list[bytes]:
        from certificates.models import CertificateAuthority

        ders = []
        seen: set[int] = set()
        node = authority
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            ders.append(bytes(node.certificate_der))
            node = (
                CertificateAuthority.objects.public().filter(pk=node.parent_id).first()
                if node.parent_id
                else None
            )
        return ders

    # --- simulation only --------------------------------------------------------------
    def signing_material(self, *, certificate) -> SigningMaterial:
        if certificate.key_id is None or not certificate.der:
            raise CertificateError(
                _("Chứng thư này không có khóa bí mật trong kho mô phỏng."), code="no_key"
            )
        private_key = serialization.load_pem_private_key(
            bytes(certificate.key.private_key_pem),
            passphrase("CA_DEVICE_KEY_PASSPHRASE", DEV_DEVICE_PASSPHRASE),
        )
        return SigningMaterial(
            private_key=private_key,
            certificate_der=bytes(certificate.der),
            chain_der=tuple(self.chain(authority=certificate.issuer)),
        )
