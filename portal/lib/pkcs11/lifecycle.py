"""A token's life (docs/ca.md, "Keys on tokens"): created with its label and PINs, its user PIN
reset by the security officer (a locked device's recovery), its SO PIN changed, wiped."""

from __future__ import annotations

import ctypes

from pkcs11 import TokenFlag

from portal.lib.pkcs11.library import (
    TokenError,
    module,
    open_session,
    raw_function,
    serial_of,
    slot_remember,
    state,
    store_lock,
    token,
    token_errors,
)

LABEL_LENGTH = 32  # CK_TOKEN_INFO.label: 32 bytes, blank-padded


def _init_token(slot_id: int, *, so_pin: str, label: str) -> None:
    padded = label.encode()[:LABEL_LENGTH].ljust(LABEL_LENGTH, b" ")
    init_token = raw_function(
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
    with state.lock, store_lock(), token_errors():
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
        slot_remember(serial_of(created), free)
        with open_session(created, rw=True, so_pin=so_pin) as session:
            session.init_pin(user_pin)
        return serial_of(created)


def token_wipe(serial: str, *, so_pin: str, label: str) -> None:
    """Re-initialise the token with the SO PIN: every object on it (keys, certificates) is
    destroyed and the user PIN is unset until the next personalisation."""
    with state.lock, store_lock(), token_errors():
        _init_token(token(serial).slot.slot_id, so_pin=so_pin, label=label)


def pin_reset(serial: str, *, so_pin: str, new_pin: str) -> None:
    """C_InitPIN as the security officer: the recovery of a locked device."""
    with (
        store_lock(),
        token_errors(),
        open_session(token(serial), rw=True, so_pin=so_pin) as session,
    ):
        session.init_pin(new_pin)


def so_pin_change(serial: str, *, so_pin: str, new_so_pin: str) -> None:
    """C_SetPIN as the security officer: a token initialised with a temporary SO PIN gets the
    one derived from its serial, which SoftHSM2 only assigns at C_InitToken."""
    with (
        store_lock(),
        token_errors(),
        open_session(token(serial), rw=True, so_pin=so_pin) as opened,
    ):
        opened.set_pin(so_pin, new_so_pin)
