"""The simulated CA's keys and its CAs as loaded in memory.

The CA's own keys live in an HSM slot reached through PKCS#11 (`CA_KEY_STORE = "hsm"`,
docs/ca.md "Keys on tokens"): generated inside the token by the key ceremony, never exported;
the `CertificateAuthority` row keeps the token's serial and the key's CKA_ID, the public key is
in its certificate. The development store ("file") keeps them PKCS#8, encrypted with
`BestAvailableEncryption` under a passphrase from the environment. A CA's certificate is parsed
and its key reached once per process.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from certificates.backends.x509build import (
    OCSP_HASHES,
    encrypt_private_key,
    key_bits,
    new_private_key,
    subscriber_extensions,
)
from certificates.exceptions import CertificateError
from certificates.models import CertificateAuthority
from portal.lib import pkcs11

# Used only where CA_ALLOW_DEV_PASSPHRASE is on (DEBUG, tests): never in production.
DEV_CA_PASSPHRASE = "DEV-ONLY mô phỏng: không dùng cho CA thật"  # noqa: S105
DEV_DEVICE_PASSPHRASE = "DEV-ONLY mô phỏng: khóa thiết bị"  # noqa: S105
DEV_CA_HSM_PIN = "DEV-ONLY-ca-hsm-user-pin"
DEV_CA_HSM_SO_PIN = "DEV-ONLY-ca-hsm-so-pin"
MIN_PASSPHRASE_LENGTH = 16
KEY_STORES = ("hsm", "file")
CA_KEY_ID_BYTES = 16


# --- secrets from the environment ----------------------------------------------------------
def secret(setting: str, dev_default: str) -> str:
    """The secret in `setting`; the marked dev default only where explicitly allowed."""
    value = getattr(settings, setting, "") or ""
    if value:
        if len(value) < MIN_PASSPHRASE_LENGTH and not settings.CA_ALLOW_DEV_PASSPHRASE:
            raise ImproperlyConfigured(
                f"{setting} must be at least {MIN_PASSPHRASE_LENGTH} characters long"
            )
        return value
    if settings.CA_ALLOW_DEV_PASSPHRASE:
        return dev_default
    raise ImproperlyConfigured(
        f"{setting} is not set: the CA keys cannot be made or used without it "
        "(set CA_ALLOW_DEV_PASSPHRASE=1 only on a development machine)"
    )


def passphrase(setting: str, dev_default: str) -> bytes:
    """The passphrase in `setting`; the marked dev default only where explicitly allowed."""
    return secret(setting, dev_default).encode()


def hsm_pin() -> str:
    """The user PIN of the CA's HSM token (CA_HSM_PIN)."""
    return secret("CA_HSM_PIN", DEV_CA_HSM_PIN)


def hsm_so_pin() -> str:
    """The security-officer PIN of the CA's HSM token (CA_HSM_SO_PIN): creating the token."""
    return secret("CA_HSM_SO_PIN", DEV_CA_HSM_SO_PIN)


def key_store() -> str:
    store = settings.CA_KEY_STORE
    if store not in KEY_STORES:
        raise ImproperlyConfigured(f"CA_KEY_STORE={store!r} is not one of {', '.join(KEY_STORES)}")
    return store


# --- the key ceremony ----------------------------------------------------------------------
def ca_token_serial(*, preferred: str = "") -> str:
    """The CA's HSM token: `preferred` (the token of the CA hierarchy's root), else the one
    labelled CA_HSM_TOKEN_LABEL, else a new one initialised with the CA's PINs."""
    if preferred:
        return preferred
    return token_labelled(settings.CA_HSM_TOKEN_LABEL, so_pin=hsm_so_pin, user_pin=hsm_pin)


# The slots found by label in this process: every signature asks for its slot, and listing
# the store's tokens takes its lock (docs/ca.md, "Processes sharing SoftHSM2's store").
# Forgotten after a fork or a rescan.
_slots_found: dict[str, str] = {}
pkcs11.on_reset(_slots_found.clear)


def token_labelled(label: str, *, so_pin, user_pin, made=None) -> str:
    """The one HSM token labelled `label`, made with the PINs `so_pin()` and `user_pin()` when
    there is none (the CA's slot, the remote-signing slot), then given to `made(serial)` to
    put in what the slot needs from its first moment. Looked up and made holding the token
    store's lock: two processes at once make one slot, not two. Found once per process; the
    next calls only check that its token is still there."""
    found = _slots_found.get(label)
    if found is not None:
        try:
            pkcs11.token(found)
            return found
        except pkcs11.TokenError:
            _slots_found.pop(label, None)
    serial = _token_labelled(label, so_pin=so_pin, user_pin=user_pin, made=made)
    _slots_found[label] = serial
    return serial


def _token_labelled(label: str, *, so_pin, user_pin, made) -> str:
    found = pkcs11.token_serials(label)
    if len(found) == 1:
        return found[0]
    with pkcs11.store_lock():
        if not found:
            pkcs11.rescan()  # created by another process since this one loaded the module
            found = pkcs11.token_serials(label)
        if len(found) > 1:
            raise ImproperlyConfigured(
                f"{len(found)} tokens are labelled {label!r}: name each HSM slot by its own label"
            )
        if found:
            return found[0]
        serial = pkcs11.token_create(label=label, so_pin=so_pin(), user_pin=user_pin())
        if made is not None:
            made(serial)
        return serial


def ca_key_generate(*, algorithm: str, label: str, token_serial: str = "") -> tuple[object, dict]:
    """A new CA key pair in the configured store: (private key object, the fields of the
    `CertificateAuthority` row that say where it is). On the HSM the pair is generated inside
    the token (sensitive, never extractable); `token_serial` keeps a hierarchy on one token."""
    if key_store() == "file":
        key = new_private_key(algorithm)
        encrypted = encrypt_private_key(key, passphrase("CA_KEY_PASSPHRASE", DEV_CA_PASSPHRASE))
        return key, {"private_key_pem": encrypted}
    user_pin = hsm_pin()
    serial = ca_token_serial(preferred=token_serial)
    key_id = secrets.token_bytes(CA_KEY_ID_BYTES)
    try:
        public_der = pkcs11.keypair_generate(
            pkcs11.shared_session(serial, user_pin=user_pin),
            key_id=key_id,
            label=label,
            algorithm=algorithm,
        )
        key = pkcs11.slot_signing_key(
            serial, user_pin=user_pin, key_id=key_id, public_der=public_der
        )
    except pkcs11.TokenError as error:
        raise _token_unavailable(error) from error
    return key, {"token_serial": serial, "token_key_id": key_id.hex().upper()}


def _token_unavailable(error: pkcs11.TokenError) -> CertificateError:
    return CertificateError(
        _("Không dùng được khóa CA trên HSM (%(code)s): kiểm tra token và mã PIN của CA.")
        % {"code": error.code},
        code="ca_key_unavailable",
    )


# --- loaded CAs ----------------------------------------------------------------------------
@dataclass
class LoadedAuthority:
    """A CA's certificate parsed once, its key reached on first use, per process: the HSM
    key (a handle-free object, valid across forks) or the development store's decrypted key."""

    pk: int
    kind: str
    certificate: x509.Certificate
    _encrypted_key: bytes | None
    _token_serial: str = ""
    _token_key_id: str = ""
    _private_key: object = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _subscriber_extensions: list | None = None
    _ocsp_hashes: dict = field(default_factory=dict)

    @property
    def private_key(self):
        if self._private_key is None:
            with self._lock:
                if self._private_key is None:
                    self._private_key = self._load_key()
        return self._private_key

    def _load_key(self):
        if self._token_serial:
            try:
                return pkcs11.slot_signing_key(
                    self._token_serial,
                    user_pin=hsm_pin(),
                    key_id=bytes.fromhex(self._token_key_id),
                    public_der=self.certificate.public_key().public_bytes(
                        serialization.Encoding.DER,
                        serialization.PublicFormat.SubjectPublicKeyInfo,
                    ),
                )
            except pkcs11.TokenError as error:
                raise _token_unavailable(error) from error
        if not self._encrypted_key:
            raise CertificateError(_("CA này không có khóa bí mật trong hệ thống."), code="no_key")
        return serialization.load_pem_private_key(
            self._encrypted_key, passphrase("CA_KEY_PASSPHRASE", DEV_CA_PASSPHRASE)
        )

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


_CACHE: dict[tuple, LoadedAuthority] = {}
_CACHE_LOCK = threading.Lock()


def load_authority(authority) -> LoadedAuthority:
    """The parsed CA for a `CertificateAuthority` row (cached per process by its DER)."""
    der = bytes(authority.certificate_der)
    cache_key = (authority.pk, hashlib.sha256(der).digest())
    loaded = _CACHE.get(cache_key)
    if loaded is None:
        encrypted, token_serial, token_key_id = (
            CertificateAuthority.objects.filter(pk=authority.pk)
            .values_list("private_key_pem", "token_serial", "token_key_id")
            .first()
        ) or (None, "", "")
        loaded = LoadedAuthority(
            pk=authority.pk,
            kind=authority.kind,
            certificate=x509.load_der_x509_certificate(der),
            _encrypted_key=bytes(encrypted) if encrypted else None,
            _token_serial=token_serial,
            _token_key_id=token_key_id,
        )
        with _CACHE_LOCK:
            if len(_CACHE) > 64:
                _CACHE.clear()
            _CACHE[cache_key] = loaded
    return loaded


def load_timestamp_unit(unit) -> LoadedAuthority:
    """The TSA's signing unit (a `TimestampUnit` row, read whole) as a loaded signer: its
    certificate parsed and its key reached once per process, like a CA's."""
    der = bytes(unit.certificate_der)
    cache_key = ("tsa", unit.pk, hashlib.sha256(der).digest())
    loaded = _CACHE.get(cache_key)
    if loaded is None:
        loaded = LoadedAuthority(
            pk=unit.pk,
            kind="tsa",
            certificate=x509.load_der_x509_certificate(der),
            _encrypted_key=bytes(unit.private_key_pem) if unit.private_key_pem else None,
            _token_serial=unit.token_serial,
            _token_key_id=unit.token_key_id,
        )
        with _CACHE_LOCK:
            if len(_CACHE) > 64:
                _CACHE.clear()
            _CACHE[cache_key] = loaded
    return loaded
