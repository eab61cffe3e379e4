"""The simulated CA's keys at rest and its CAs as loaded in memory.

Private keys are PKCS#8, encrypted with `BestAvailableEncryption` under a passphrase from the
environment; a CA's certificate is parsed and its key decrypted once per process.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from certificates.backends.x509build import OCSP_HASHES, key_bits, subscriber_extensions
from certificates.exceptions import CertificateError

# Used only where CA_ALLOW_DEV_PASSPHRASE is on (DEBUG, tests): never in production.
DEV_CA_PASSPHRASE = "DEV-ONLY mô phỏng: không dùng cho CA thật"  # noqa: S105
DEV_DEVICE_PASSPHRASE = "DEV-ONLY mô phỏng: khóa thiết bị"  # noqa: S105
MIN_PASSPHRASE_LENGTH = 16


# --- keys at rest --------------------------------------------------------------------------
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
            self._subscriber_extensions = subscriber_extensions(self.pk, self.ski)
        return self._subscriber_extensions

    def ocsp_hashes(self, algorithm_name: str) -> tuple[bytes, bytes]:
        """(issuerNameHash, issuerKeyHash) of this CA for an OCSP CertID hash algorithm."""
        if algorithm_name not in self._ocsp_hashes:
            algorithm = OCSP_HASHES[algorithm_name]
            name_digest = hashes.Hash(algorithm())
            name_digest.update(self.certificate.subject.public_bytes())
            key_digest = hashes.Hash(algorithm())
            key_digest.update(key_bits(self.certificate.public_key()))
            self._ocsp_hashes[algorithm_name] = (name_digest.finalize(), key_digest.finalize())
        return self._ocsp_hashes[algorithm_name]


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
