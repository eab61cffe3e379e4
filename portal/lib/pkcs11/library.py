"""The PKCS#11 library of this process and finding its tokens (docs/ca.md, "Keys on tokens").

python-pkcs11 wraps one library instance per process; C_InitToken and C_CloseAllSessions, which
it does not wrap, are called through ctypes on the same loaded library (`raw_function`).

Processes: the library is loaded lazily, in the process that uses it. A child forked after its
parent loaded it (a Celery prefork worker, gunicorn with preload) does not use the parent's
library state: the fork handler forgets the parent's sessions and the child initialises the
library again (C_Finalize, C_Initialize) before its first call. Modules that keep sessions of
their own (the CA's slot) register what to forget with `on_reset`.

SoftHSM2's file store is read and written by each process on its own: a token file one process
rewrites (every C_Login records the PIN counters in it) can read as corrupt in another at that
instant, and the token seems gone (docs/ca.md, "Processes sharing SoftHSM2's store"): three web
workers logging in at once once made the portal create the remote-signing slot three times. `store_lock` serialises across
processes what writes the store or first reads it (loading the library, listing tokens, logging
in, creating and wiping tokens, generating and destroying objects) with a lock file beside the
token directory; signing, the hot path, reads only and is not serialised (a slot is found by
its label once per process: certificates/backends/ca_keys.py). Another module (an HSM's)
serialises itself: no lock."""

from __future__ import annotations

import ctypes
import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from functools import cache
from pathlib import Path

import pkcs11
from django.conf import settings
from pkcs11 import TokenFlag
from pkcs11 import exceptions as p11_errors


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
def token_errors() -> Iterator[None]:
    """python-pkcs11's errors as `TokenError`s with a code."""
    try:
        yield
    except TokenError:
        raise
    except p11_errors.PKCS11Error as error:
        raise TokenError(_ERROR_CODES.get(type(error), "failed"), type(error).__name__) from error


class _State:
    """The process's library state. `lock` serialises the calls that must not run at once (the
    module is initialised without locking arguments); a forked child gets a new one, since
    another thread of the parent may have held it at the fork."""

    lock = threading.RLock()
    library: pkcs11.lib | None = None
    inherited = False  # loaded by the parent of this forked process: initialise again
    store_file = None  # the open lock file while this process holds the store lock
    store_depth = 0


state = _State()
_reset_hooks: list[Callable[[], None]] = []


def on_reset(hook: Callable[[], None]) -> None:
    """Call `hook` whenever this process's sessions are gone: after a fork (in the child) and
    at a rescan. It forgets, without closing, what it kept of them."""
    _reset_hooks.append(hook)


def _forget_sessions() -> None:
    _slots.clear()
    for hook in _reset_hooks:
        hook()


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


def _store_lock_path() -> Path | None:
    """The lock file of the SoftHSM2 file store in use (beside its token directory, named in
    SOFTHSM2_CONF); None for another module."""
    if "softhsm" not in Path(settings.PKCS11_MODULE).name:
        return None
    softhsm_conf(Path(settings.PKCS11_TOKEN_DIR))
    for line in Path(os.environ["SOFTHSM2_CONF"]).read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "directories.tokendir" and value.strip():
            directory = Path(value.strip())
            return directory.parent / f"{directory.name}.lock"
    return None


@contextmanager
def store_lock() -> Iterator[None]:
    """This process alone writes or first reads the token store (see the module's note);
    re-entrant within the process."""
    with state.lock:
        if state.store_depth == 0:
            path = _store_lock_path()
            if path is not None:
                state.store_file = path.open("ab")
                fcntl.flock(state.store_file, fcntl.LOCK_EX)
        state.store_depth += 1
        try:
            yield
        finally:
            # a child forked inside the block starts again at 0 (`_after_fork_in_child`)
            state.store_depth = max(state.store_depth - 1, 0)
            if state.store_depth == 0 and state.store_file is not None:
                state.store_file.close()  # releases the lock
                state.store_file = None


def _initialise_again(library: pkcs11.lib) -> None:
    """C_Finalize (which may refuse: a module that saw the fork itself is not initialised in
    the child) then C_Initialize: this process's own library state, no session of another's."""
    with suppress(p11_errors.PKCS11Error):
        library.finalize()
    library.initialize()


def module() -> pkcs11.lib:
    """The process's PKCS#11 library, loaded on first use (initialised again in a forked child
    before its first use)."""
    with state.lock:
        if state.library is not None and not state.inherited:
            return state.library
        with store_lock():
            if state.library is None:
                path = settings.PKCS11_MODULE
                if "softhsm" in Path(path).name:
                    softhsm_conf(Path(settings.PKCS11_TOKEN_DIR))
                state.library = pkcs11.lib(path)
            elif state.inherited:
                _initialise_again(state.library)
            state.inherited = False
            return state.library


def _after_fork_in_child() -> None:
    """Nothing of the parent's PKCS#11 state is used in a child: its sessions and key handles are
    forgotten (not closed: they are the parent's) and the library is initialised again on first
    use."""
    state.lock = threading.RLock()
    # the parent's lock file, if a thread of it held the lock at the fork: the child's copy
    # is dropped (the parent's lock stays: it is the parent's open file that holds it)
    state.store_file, state.store_depth = None, 0
    _forget_sessions()
    state.inherited = state.library is not None


def rescan() -> None:
    """Initialise the library again so that it sees tokens another process created since it
    was loaded (SoftHSM2 lists its tokens at C_Initialize). Every session of this process is
    closed by it: used only when a token the process needs is missing."""
    with state.lock, store_lock():
        _forget_sessions()
        if state.library is not None:
            _initialise_again(state.library)


@cache
def raw_function(name: str, *argtypes):
    """A Cryptoki function python-pkcs11 does not wrap, from the same loaded library."""
    function = getattr(ctypes.CDLL(settings.PKCS11_MODULE), name)
    function.argtypes = list(argtypes)
    function.restype = ctypes.c_ulong
    return function


def open_session(found: pkcs11.Token, **credentials) -> pkcs11.Session:
    """Token.open, closing the session it leaves behind when the login fails (python-pkcs11
    opens the session before C_Login and does not close it on a wrong PIN)."""
    with store_lock():  # C_Login writes the token's PIN counters
        try:
            return found.open(**credentials)
        except p11_errors.PKCS11Error:
            raw_function("C_CloseAllSessions", ctypes.c_ulong)(found.slot.slot_id)
            raise


def serial_of(found: pkcs11.Token) -> str:
    serial = found.serial
    return (serial.decode() if isinstance(serial, bytes) else serial).strip()


# Slots by token serial, remembered from the last walk over the slots: with thousands of
# tokens in a store (a CA's stock), walking every slot for each lookup cost milliseconds.
# An entry is checked against the slot's token before use, and dropped when it is stale.
_slots: dict[str, pkcs11.Slot] = {}


def slot_remember(serial: str, slot: pkcs11.Slot) -> None:
    _slots[serial] = slot


def token(serial: str) -> pkcs11.Token:
    """The token with this serial number (a token's identity; labels may repeat)."""
    with token_errors():
        cached = _slots.get(serial)
        if cached is not None:
            try:
                found = cached.get_token()
            except p11_errors.PKCS11Error:
                found = None
            if (
                found is not None
                and found.flags & TokenFlag.TOKEN_INITIALIZED
                and serial_of(found) == serial
            ):
                return found
            _slots.pop(serial, None)
        with store_lock():
            match = _scan(serial)
            if match is None:
                # SoftHSM2 reads its token store once, at C_Initialize: a token another
                # process created since (a worker keying the stock ahead) is seen only after
                # the library is initialised again. That closes this process's sessions, so
                # callers find their tokens before opening any (devices' personalisation does).
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
            _slots[serial_of(found)] = slot
            if serial_of(found) == serial:
                match = found
    return match


def token_serials(label: str) -> list[str]:
    """The serial numbers of the initialised tokens labelled `label`."""
    with token_errors(), store_lock():
        return [
            serial_of(found)
            for found in (slot.get_token() for slot in module().get_slots(token_present=True))
            if found.flags & TokenFlag.TOKEN_INITIALIZED and found.label.strip() == label.strip()
        ]


def token_flags(serial: str) -> TokenFlag:
    return token(serial).flags


@contextmanager
def session(serial: str, *, user_pin: str, rw: bool = False) -> Iterator[pkcs11.Session]:
    """A user session on the token; a wrong or locked PIN raises `TokenError`."""
    with token_errors():
        opened = open_session(token(serial), rw=rw, user_pin=user_pin)
    try:
        with token_errors():
            yield opened
    finally:
        opened.close()


@contextmanager
def session_public(serial: str) -> Iterator[pkcs11.Session]:
    """A read-write session without login: enough to replace the public certificate objects
    of a token whose user PIN only its holder knows."""
    with token_errors():
        opened = token(serial).open(rw=True)
    try:
        with token_errors():
            yield opened
    finally:
        opened.close()


os.register_at_fork(after_in_child=_after_fork_in_child)
