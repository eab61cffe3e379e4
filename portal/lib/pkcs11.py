"""PKCS#11 tokens: the key-storage devices and the CA's HSM slot (docs/ca.md, "Keys on tokens").

Private keys are generated inside a token, marked sensitive and not extractable, and used only
through the token: `signing_key` gives a key object that the `cryptography` builders accept
(certificate requests, certificates, CRLs, OCSP responses) and that signs with C_Sign.

The module is a setting (`PKCS11_MODULE`): SoftHSM2 in the demo and the tests, a token vendor's
module or a network HSM's in production. For SoftHSM2 the token store is `PKCS11_TOKEN_DIR`; the
portal writes the `softhsm2.conf` that points at it unless `SOFTHSM2_CONF` is already set.

python-pkcs11 wraps one library instance per process; C_InitToken, which it does not wrap, is
called through ctypes on the same loaded library, so the new token is seen at once.

Processes: the library is loaded lazily, in the process that uses it. A child forked after its
parent loaded it (a Celery prefork worker, gunicorn with preload) does not use the parent's
library state: the fork handler forgets the parent's sessions and the child initialises the
library again (C_Finalize, C_Initialize) before its first call. The CA's HSM slot is used
through one long-lived session per process (`shared_session`, `slot_signing_key`).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
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


def softhsm_conf(token_dir: Path) -> None:
    """Point SoftHSM2 at the portal's token store, unless the environment already does; the
    processes the portal starts (worker, the demo's signing client) inherit it."""
    if os.environ.get("SOFTHSM2_CONF"):
        return
    token_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    conf = token_dir.parent / f"{token_dir.name}.softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {token_dir}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(conf)


_library: pkcs11.lib | None = None
_library_inherited = False  # loaded by the parent of this forked process: initialise again


def _initialise_again(library: pkcs11.lib) -> None:
    """C_Finalize (which may refuse: a module that saw the fork itself is not initialised in
    the child) then C_Initialize: this process's own library state, no session of another's."""
    with suppress(p11_errors.PKCS11Error):
        library.finalize()
    library.initialize()


def module() -> pkcs11.lib:
    """The process's PKCS#11 library, loaded on first use (initialised again in a forked child
    before its first use)."""
    global _library, _library_inherited
    with _lock:
        if _library is None:
            path = settings.PKCS11_MODULE
            if "softhsm" in Path(path).name:
                softhsm_conf(Path(settings.PKCS11_TOKEN_DIR))
            _library = pkcs11.lib(path)
        elif _library_inherited:
            _initialise_again(_library)
        _library_inherited = False
        return _library


def _after_fork_in_child() -> None:
    """Nothing of the parent's PKCS#11 state is used in a child: its sessions and key handles are
    forgotten (not closed: they are the parent's) and the library is initialised again on first
    use. The lock is new: another thread of the parent may have held it at the fork."""
    global _lock, _library_inherited
    _lock = threading.RLock()
    _shared_sessions.clear()
    _shared_handles.clear()
    _slots.clear()
    _library_inherited = _library is not None


def rescan() -> None:
    """Initialise the library again so that it sees tokens another process created since it
    was loaded (SoftHSM2 lists its tokens at C_Initialize). Every session of this process is
    closed by it: used only when a token the process needs is missing."""
    with _lock:
        _shared_sessions.clear()
        _shared_handles.clear()
        _slots.clear()
        if _library is not None:
            _initialise_again(_library)


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
                rescan()
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


def token_serials(label: str) -> list[str]:
    """The serial numbers of the initialised tokens labelled `label`."""
    with _token_errors():
        return [
            _serial(found)
            for found in (slot.get_token() for slot in module().get_slots(token_present=True))
            if found.flags & TokenFlag.TOKEN_INITIALIZED and found.label.strip() == label.strip()
        ]


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

    def _sign_raw(self, payload: bytes, mechanism: Mechanism) -> bytes:
        with _token_errors():
            return self._handle.sign(payload, mechanism=mechanism)

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
        return self._sign_raw(digest_info, Mechanism.RSA_PKCS)

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
        return encode_ecdsa_signature(self._sign_raw(digest, Mechanism.ECDSA))

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


# --- the CA's HSM slot: one long-lived session per process -------------------------------
_shared_sessions: dict[str, pkcs11.Session] = {}
_shared_handles: dict[tuple[str, bytes], pkcs11.PrivateKey] = {}
# A session or login the token no longer knows (HSM restarted, session closed by a rescan):
# opened again once, then the error stands.
_SESSION_LOST = (
    p11_errors.SessionHandleInvalid,
    p11_errors.SessionClosed,
    p11_errors.UserNotLoggedIn,
    p11_errors.KeyHandleInvalid,
    p11_errors.ObjectHandleInvalid,
    p11_errors.DeviceRemoved,
)


def shared_session(serial: str, *, user_pin: str) -> pkcs11.Session:
    """A read-write user session on the token, opened on first use and kept for the life of
    the process (the CA's HSM slot signs certificates, CRLs and OCSP answers all day). A token
    created by another process after this one loaded the library is found by a rescan.

    PKCS#11 logs a whole process in and out of a token: while this session is open, do not
    open the same token with `session()` in the same process (its close would log this one
    out; the slot keys then log in again once)."""
    with _lock:
        opened = _shared_sessions.get(serial)
        if opened is None:
            try:
                found = token(serial)
            except TokenError as error:
                if error.code != "token_missing":
                    raise
                rescan()
                found = token(serial)
            with _token_errors():
                opened = _open(found, rw=True, user_pin=user_pin)
            _shared_sessions[serial] = opened
        return opened


def shared_session_close(serial: str) -> None:
    """Close this process's shared session on the token (and forget its key handles)."""
    with _lock:
        opened = _shared_sessions.pop(serial, None)
        for cached in [k for k in _shared_handles if k[0] == serial]:
            del _shared_handles[cached]
        if opened is not None:
            with suppress(p11_errors.PKCS11Error):
                opened.close()


def _shared_handle(serial: str, user_pin: str, key_id: bytes) -> pkcs11.PrivateKey:
    with _lock:
        handle = _shared_handles.get((serial, key_id))
        if handle is None:
            handle = _private_key(shared_session(serial, user_pin=user_pin), key_id)
            _shared_handles[(serial, key_id)] = handle
        return handle


class _SlotKeyMixin:
    """A token key reached through the process's shared session: the object holds no PKCS#11
    state of its own, so it may be kept across forks and session losses; each signature takes
    the handle of the current process's session (opened again once if it was lost). Calls are
    serialised per process: the module is initialised without locking arguments (C_Initialize
    with NULL), which promises no concurrent calls."""

    def __init__(self, serial: str, user_pin: str, key_id: bytes, public_der: bytes):
        self._serial = serial
        self._user_pin = user_pin
        self._key_id = key_id
        self._public = serialization.load_der_public_key(public_der)

    def _sign_raw(self, payload: bytes, mechanism: Mechanism) -> bytes:
        with _lock:
            try:
                handle = _shared_handle(self._serial, self._user_pin, self._key_id)
                with _token_errors():
                    return handle.sign(payload, mechanism=mechanism)
            except TokenError as error:
                if not isinstance(error.__cause__, _SESSION_LOST):
                    raise
            shared_session_close(self._serial)
            handle = _shared_handle(self._serial, self._user_pin, self._key_id)
            with _token_errors():
                return handle.sign(payload, mechanism=mechanism)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} token {self._serial} id {self._key_id.hex()}>"


class SlotRSAKey(_SlotKeyMixin, TokenRSAKey):
    """An RSA key of the CA's HSM slot (`slot_signing_key`)."""


class SlotECKey(_SlotKeyMixin, TokenECKey):
    """An EC key of the CA's HSM slot (`slot_signing_key`)."""


def slot_signing_key(serial: str, *, user_pin: str, key_id: bytes, public_der: bytes):
    """The token's private key `key_id` as a `cryptography` private key that signs on the
    token through the process's shared session (`shared_session`). The key is looked up at
    once: a missing token, a wrong PIN or a missing key raises `TokenError` here."""
    _shared_handle(serial, user_pin, key_id)
    public = serialization.load_der_public_key(public_der)
    if isinstance(public, rsa.RSAPublicKey):
        return SlotRSAKey(serial, user_pin, key_id, public_der)
    if isinstance(public, ec.EllipticCurvePublicKey):
        return SlotECKey(serial, user_pin, key_id, public_der)
    raise TokenError("failed", f"unsupported key type {type(public).__name__}")


os.register_at_fork(after_in_child=_after_fork_in_child)
