"""The CA's HSM slot (docs/ca.md, "Keys on tokens"): it signs certificates, CRLs and OCSP
answers all day, through one long-lived session per process (`shared_session`) and key
objects that hold no PKCS#11 state of their own (`slot_signing_key`)."""

from __future__ import annotations

from contextlib import suppress

import pkcs11
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pkcs11 import Mechanism
from pkcs11 import exceptions as p11_errors

from portal.lib.pkcs11.keys import TokenECKey, TokenRSAKey
from portal.lib.pkcs11.library import (
    TokenError,
    on_reset,
    open_session,
    rescan,
    state,
    token,
    token_errors,
)
from portal.lib.pkcs11.objects import mac_key, private_key

_shared_sessions: dict[str, pkcs11.Session] = {}
_shared_handles: dict[tuple[str, bytes], pkcs11.Key] = {}
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


def _forget() -> None:
    _shared_sessions.clear()
    _shared_handles.clear()


on_reset(_forget)


def shared_session(serial: str, *, user_pin: str) -> pkcs11.Session:
    """A read-write user session on the token, opened on first use and kept for the life of
    the process. A token created by another process after this one loaded the library is found
    by a rescan.

    PKCS#11 logs a whole process in and out of a token: while this session is open, do not
    open the same token with `session()` in the same process (its close would log this one
    out; the slot keys then log in again once)."""
    with state.lock:
        opened = _shared_sessions.get(serial)
        if opened is None:
            try:
                found = token(serial)
            except TokenError as error:
                if error.code != "token_missing":
                    raise
                rescan()
                found = token(serial)
            with token_errors():
                opened = open_session(found, rw=True, user_pin=user_pin)
            _shared_sessions[serial] = opened
        return opened


def shared_session_close(serial: str) -> None:
    """Close this process's shared session on the token (and forget its key handles)."""
    with state.lock:
        opened = _shared_sessions.pop(serial, None)
        for cached in [k for k in _shared_handles if k[0] == serial]:
            del _shared_handles[cached]
        if opened is not None:
            with suppress(p11_errors.PKCS11Error):
                opened.close()


def _shared_handle(serial: str, user_pin: str, key_id: bytes, find=private_key) -> pkcs11.Key:
    with state.lock:
        handle = _shared_handles.get((serial, key_id))
        if handle is None:
            handle = find(shared_session(serial, user_pin=user_pin), key_id)
            _shared_handles[(serial, key_id)] = handle
        return handle


def _signed(serial: str, user_pin: str, key_id: bytes, payload: bytes, mechanism, find):
    """C_Sign with the key's handle in the process's shared session, the session opened again
    once if the token lost it."""
    with state.lock:
        try:
            handle = _shared_handle(serial, user_pin, key_id, find)
            with token_errors():
                return handle.sign(payload, mechanism=mechanism)
        except TokenError as error:
            if not isinstance(error.__cause__, _SESSION_LOST):
                raise
        shared_session_close(serial)
        handle = _shared_handle(serial, user_pin, key_id, find)
        with token_errors():
            return handle.sign(payload, mechanism=mechanism)


def slot_mac(serial: str, *, user_pin: str, key_id: bytes, data: bytes) -> bytes:
    """HMAC-SHA256 of `data` with the token's secret key `key_id`, through the shared session
    (`TokenError` key_missing if the token has no such key)."""
    return _signed(serial, user_pin, key_id, data, Mechanism.SHA256_HMAC, mac_key)


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
        return _signed(self._serial, self._user_pin, self._key_id, payload, mechanism, private_key)

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
