"""PKCS#11 tokens: the key-storage devices and the CA's HSM slot (docs/ca.md, "Keys on tokens").

Private keys are generated inside a token, marked sensitive and not extractable, and used only
through the token: `signing_key` gives a key object that the `cryptography` builders accept
(certificate requests, certificates, CRLs, OCSP responses) and that signs with C_Sign.

The module is a setting (`PKCS11_MODULE`): SoftHSM2 in the demo and the tests, a token vendor's
module or a network HSM's in production. For SoftHSM2 the token store is `PKCS11_TOKEN_DIR`; the
portal writes the `softhsm2.conf` that points at it unless `SOFTHSM2_CONF` is already set.

python-pkcs11 wraps one library instance per process; C_InitToken, which it does not wrap, is
called through ctypes on the same loaded library, so the new token is seen at once.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pkcs11
from asn1crypto import algos as asn1_algos
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from django.conf import settings
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass, TokenFlag
from pkcs11 import exceptions as p11_errors
from pkcs11.util.ec import (
    encode_ec_public_key,
    encode_ecdsa_signature,
    encode_named_curve_parameters,
)
from pkcs11.util.rsa import encode_rsa_public_key

# Key algorithms by the names of certificates.choices.KeyAlgorithm (this floor cannot import it).
RSA_BITS = {"rsa2048": 2048, "rsa3072": 3072, "rsa4096": 4096}
EC_CURVES = {"ec_p256": "secp256r1"}
LABEL_LENGTH = 32  # CK_TOKEN_INFO.label: 32 bytes, blank-padded

_DIGEST_INFO_NAMES = {"sha256": "sha256", "sha384": "sha384", "sha512": "sha512"}
_lock = threading.RLock()


class TokenError(Exception):
    """A token operation that failed for a reason the user can act on.

    `code`: pin_incorrect, pin_locked, pin_not_initialised, token_missing, no_free_slot, key_missing,
    failed. The floors above turn the code into a Vietnamese message.
    """

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


_ERROR_CODES = {
    p11_errors.PinIncorrect: "pin_incorrect",
    p11_errors.PinLocked: "pin_locked",
    p11_errors.UserPinNotInitialized: "pin_not_initialised",
    p11_errors.TokenNotPresent: "token_missing",
    p11_errors.NoSuchToken: "token_missing",
}


@contextmanager
def _token_errors() -> Iterator[None]:
    try:
        yield
    except TokenError:
        raise
    except p11_errors.PKCS11Error as error:
        raise TokenError(_ERROR_CODES.get(type(error), "failed"), type(error).__name__) from error


def _softhsm_conf(token_dir: Path) -> None:
    """Point SoftHSM2 at the portal's token store, unless the environment already does."""
    if os.environ.get("SOFTHSM2_CONF"):
        return
    token_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    conf = token_dir.parent / f"{token_dir.name}.softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {token_dir}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(conf)


@cache
def module() -> pkcs11.lib:
    """The process's PKCS#11 library, loaded on first use."""
    path = settings.PKCS11_MODULE
    if "softhsm" in Path(path).name:
        _softhsm_conf(Path(settings.PKCS11_TOKEN_DIR))
    return pkcs11.lib(path)


@cache
def _raw_function(name: str, *argtypes):
    """A Cryptoki function python-pkcs11 does not wrap, from the same loaded library."""
    function = getattr(ctypes.CDLL(settings.PKCS11_MODULE), name)
    function.argtypes = list(argtypes)
    function.restype = ctypes.c_ulong
    return function


def _open(found: pkcs11.Token, **credentials) -> pkcs11.Session:
    """Token.open, closing the session it leaves behind when the login fails (python-pkcs11
    opens the session before C_Login and does not close it on a wrong PIN)."""
    try:
        return found.open(**credentials)
    except p11_errors.PKCS11Error:
        _raw_function("C_CloseAllSessions", ctypes.c_ulong)(found.slot.slot_id)
        raise


def _serial(token: pkcs11.Token) -> str:
    serial = token.serial
    return (serial.decode() if isinstance(serial, bytes) else serial).strip()


# Slots by token serial, remembered from the last walk over the slots: with thousands of
# tokens in a store (a CA's stock), walking every slot for each lookup cost milliseconds.
# An entry is checked against the slot's token before use, and dropped when it is stale.
_slots: dict[str, pkcs11.Slot] = {}


def token(serial: str) -> pkcs11.Token:
    """The token with this serial number (a token's identity; labels may repeat)."""
    with _token_errors():
        cached = _slots.get(serial)
        if cached is not None:
            try:
                found = cached.get_token()
            except p11_errors.PKCS11Error:
                found = None
            if (
                found is not None
                and found.flags & TokenFlag.TOKEN_INITIALIZED
                and _serial(found) == serial
            ):
                return found
            _slots.pop(serial, None)
        match = _scan(serial)
        if match is None:
            # SoftHSM2 reads its token store once, at C_Initialize: a token another process
            # created since (a worker keying the stock ahead) is seen only after the library
            # is initialised again. That closes this process's sessions, so callers find
            # their tokens before opening any (devices' personalisation does).
            with _lock:
                module().reinitialize()
                _slots.clear()
                match = _scan(serial)
        if match is not None:
            return match
    raise TokenError("token_missing", serial)


def _scan(serial: str) -> pkcs11.Token | None:
    """Walk every slot, remembering each initialised token's slot; the token `serial`."""
    match = None
    for slot in module().get_slots(token_present=True):
        found = slot.get_token()
        if found.flags & TokenFlag.TOKEN_INITIALIZED:
            _slots[_serial(found)] = slot
            if _serial(found) == serial:
                match = found
    return match


def token_flags(serial: str) -> TokenFlag:
    return token(serial).flags


def _init_token(slot_id: int, *, so_pin: str, label: str) -> None:
    padded = label.encode()[:LABEL_LENGTH].ljust(LABEL_LENGTH, b" ")
    init_token = _raw_function(
        "C_InitToken", ctypes.c_ulong, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p
    )
    result = init_token(slot_id, so_pin.encode(), len(so_pin.encode()), padded)
    if result == 0xA0:  # CKR_PIN_INCORRECT
        raise TokenError("pin_incorrect", "SO PIN")
    if result == 0xA4:  # CKR_PIN_LOCKED
        raise TokenError("pin_locked", "SO PIN")
    if result == 0xB3:  # CKR_SESSION_EXISTS
        raise TokenError("failed", "a session is open on the token")
    if result != 0:
        raise TokenError("failed", f"C_InitToken returned {result:#x}")


def token_create(*, label: str, so_pin: str, user_pin: str) -> str:
    """Initialise a new token on a free slot (SoftHSM2 always offers one) with this label and
    PINs; return its serial number."""
    with _lock, _token_errors():
        # SoftHSM2 offers its one free slot last: looking from the end finds it at once.
        free = next(
            (
                slot
                for slot in reversed(module().get_slots(token_present=True))
                if not slot.get_token().flags & TokenFlag.TOKEN_INITIALIZED
            ),
            None,
        )
        if free is None:
            raise TokenError("no_free_slot")
        _init_token(free.slot_id, so_pin=so_pin, label=label)
        created = free.get_token()
        _slots[_serial(created)] = free
        with _open(created, rw=True, so_pin=so_pin) as session:
            session.init_pin(user_pin)
        return _serial(created)


def token_wipe(serial: str, *, so_pin: str, label: str) -> None:
    """Re-initialise the token with the SO PIN: every object on it (keys, certificates) is
    destroyed and the user PIN is unset until the next personalisation."""
    with _lock, _token_errors():
        _init_token(token(serial).slot.slot_id, so_pin=so_pin, label=label)


def pin_reset(serial: str, *, so_pin: str, new_pin: str) -> None:
    """C_InitPIN as the security officer: the recovery of a locked device."""
    with _token_errors(), _open(token(serial), rw=True, so_pin=so_pin) as session:
        session.init_pin(new_pin)


@contextmanager
def session(serial: str, *, user_pin: str, rw: bool = False) -> Iterator[pkcs11.Session]:
    """A user session on the token; a wrong or locked PIN raises `TokenError`."""
    with _token_errors():
        opened = _open(token(serial), rw=rw, user_pin=user_pin)
    try:
        with _token_errors():
            yield opened
    finally:
        opened.close()


def keypair_generate(
    session: pkcs11.Session, *, key_id: bytes, label: str, algorithm: str
) -> bytes:
    """A key pair generated inside the token: the private key sensitive, never extractable,
    for signing only. Returns the public key as SubjectPublicKeyInfo DER."""
    private_template = {
        Attribute.TOKEN: True,
        Attribute.PRIVATE: True,
        Attribute.SENSITIVE: True,
        Attribute.EXTRACTABLE: False,
        Attribute.SIGN: True,
        Attribute.DECRYPT: False,
        Attribute.UNWRAP: False,
    }
    public_template = {Attribute.TOKEN: True, Attribute.VERIFY: True}
    common = {"id": key_id, "label": label, "store": True}
    with _token_errors():
        if algorithm in RSA_BITS:
            public, _private = session.generate_keypair(
                KeyType.RSA,
                RSA_BITS[algorithm],
                public_template=public_template,
                private_template=private_template,
                **common,
            )
            return asn1_keys.PublicKeyInfo(
                {
                    "algorithm": {"algorithm": "rsa"},
                    "public_key": asn1_keys.RSAPublicKey.load(encode_rsa_public_key(public)),
                }
            ).dump()
        if algorithm in EC_CURVES:
            parameters = session.create_domain_parameters(
                KeyType.EC,
                {Attribute.EC_PARAMS: encode_named_curve_parameters(EC_CURVES[algorithm])},
                local=True,
            )
            public, _private = parameters.generate_keypair(
                public_template=public_template, private_template=private_template, **common
            )
            return encode_ec_public_key(public)
    raise TokenError("failed", f"unknown key algorithm {algorithm!r}")


def _private_key(session: pkcs11.Session, key_id: bytes) -> pkcs11.PrivateKey:
    with _token_errors():
        try:
            return session.get_key(object_class=ObjectClass.PRIVATE_KEY, id=key_id)
        except p11_errors.NoSuchKey as error:
            raise TokenError("key_missing", key_id.hex()) from error


def private_key_flags(session: pkcs11.Session, *, key_id: bytes) -> dict[str, bool]:
    """What the token reports of the private key: extractable, sensitive and whether it was
    ever exportable (the attributes a security review reads)."""
    key = _private_key(session, key_id)
    return {
        "extractable": bool(key[Attribute.EXTRACTABLE]),
        "sensitive": bool(key[Attribute.SENSITIVE]),
        "always_sensitive": bool(key[Attribute.ALWAYS_SENSITIVE]),
        "never_extractable": bool(key[Attribute.NEVER_EXTRACTABLE]),
    }


def certificate_store(session: pkcs11.Session, *, key_id: bytes, label: str, der: bytes) -> None:
    """Write a certificate onto the token beside its key (same CKA_ID), as a real token holds
    it for the signing software to find."""
    parsed = asn1_x509.Certificate.load(der)
    with _token_errors():
        session.create_object(
            {
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.SUBJECT: parsed.subject.dump(),
                Attribute.ISSUER: parsed.issuer.dump(),
                Attribute.SERIAL_NUMBER: parsed["tbs_certificate"]["serial_number"].dump(),
                Attribute.CERTIFICATE_TYPE: pkcs11.CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.PRIVATE: False,
                Attribute.ID: key_id,
                Attribute.LABEL: label,
                Attribute.VALUE: der,
            }
        )


def certificates(session: pkcs11.Session) -> list[bytes]:
    """The DER of every certificate object on the token."""
    with _token_errors():
        return [
            bytes(item[Attribute.VALUE])
            for item in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE})
        ]


def _digest(data: bytes, algorithm) -> tuple[str, bytes]:
    if isinstance(algorithm, Prehashed):
        return algorithm._algorithm.name, data
    if not isinstance(algorithm, hashes.HashAlgorithm) or algorithm.name not in _DIGEST_INFO_NAMES:
        raise TokenError("failed", f"unsupported hash {algorithm!r}")
    return algorithm.name, hashlib.new(algorithm.name, data).digest()


class _TokenKeyMixin:
    """What both key types share: the token's key handle and the public key read from SPKI."""

    def __init__(self, handle: pkcs11.PrivateKey, public_der: bytes):
        self._handle = handle
        self._public = serialization.load_der_public_key(public_der)

    def public_key(self):
        return self._public

    def private_bytes(self, *args, **kwargs):
        raise TokenError("failed", "a token key cannot be exported")

    def private_numbers(self):
        raise TokenError("failed", "a token key cannot be exported")

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


class TokenRSAKey(_TokenKeyMixin, rsa.RSAPrivateKey):
    """An RSA private key that stays on the token: RSASSA-PKCS1-v1_5 through C_Sign."""

    @property
    def key_size(self) -> int:
        return self._public.key_size

    def sign(self, data: bytes, padding, algorithm) -> bytes:
        if not isinstance(padding, asym_padding.PKCS1v15):
            raise TokenError("failed", "only PKCS#1 v1.5 signatures are made on tokens")
        name, digest = _digest(data, algorithm)
        digest_info = asn1_algos.DigestInfo(
            {"digest_algorithm": {"algorithm": _DIGEST_INFO_NAMES[name]}, "digest": digest}
        ).dump()
        with _token_errors():
            return self._handle.sign(digest_info, mechanism=Mechanism.RSA_PKCS)

    def decrypt(self, ciphertext: bytes, padding) -> bytes:
        raise TokenError("failed", "token keys sign only")


class TokenECKey(_TokenKeyMixin, ec.EllipticCurvePrivateKey):
    """An EC private key that stays on the token: ECDSA through C_Sign, DER-encoded."""

    @property
    def curve(self):
        return self._public.curve

    @property
    def key_size(self) -> int:
        return self._public.curve.key_size

    def sign(self, data: bytes, signature_algorithm) -> bytes:
        _name, digest = _digest(data, signature_algorithm.algorithm)
        with _token_errors():
            return encode_ecdsa_signature(self._handle.sign(digest, mechanism=Mechanism.ECDSA))

    def exchange(self, algorithm, peer_public_key) -> bytes:
        raise TokenError("failed", "token keys sign only")


def signing_key(session: pkcs11.Session, *, key_id: bytes, public_der: bytes):
    """The token's private key `key_id` as a `cryptography` private key that signs on the
    token; valid while `session` is open."""
    handle = _private_key(session, key_id)
    if handle.key_type == KeyType.RSA:
        return TokenRSAKey(handle, public_der)
    if handle.key_type == KeyType.EC:
        return TokenECKey(handle, public_der)
    raise TokenError("failed", f"unsupported key type {handle.key_type!r}")


def so_pin_change(serial: str, *, so_pin: str, new_so_pin: str) -> None:
    """C_SetPIN as the security officer: a token initialised with a temporary SO PIN gets the
    one derived from its serial, which SoftHSM2 only assigns at C_InitToken."""
    with _token_errors(), _open(token(serial), rw=True, so_pin=so_pin) as opened:
        opened.set_pin(so_pin, new_so_pin)


def certificates_remove(session: pkcs11.Session, *, key_id: bytes) -> int:
    """Destroy the certificate objects beside key `key_id` (a certificate replaced, or one
    written by an issuance the registry rolled back); returns how many."""
    with _token_errors():
        found = list(
            session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.ID: key_id})
        )
        for item in found:
            item.destroy()
    return len(found)


@contextmanager
def session_public(serial: str) -> Iterator[pkcs11.Session]:
    """A read-write session without login: enough to replace the public certificate objects
    of a token whose user PIN only its holder knows."""
    with _token_errors():
        opened = token(serial).open(rw=True)
    try:
        with _token_errors():
            yield opened
    finally:
        opened.close()
