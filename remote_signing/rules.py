"""The checks of the remote-signing service (docs/remote-signing.md), each refusing with a
Vietnamese message and a code the CSC API maps to its errors: the hashes as sent, the holder,
the credential's state, the PIN policy, and an authorisation against the hashes it covers."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from django.conf import settings
from django.utils.translation import gettext as _

from portal.errors import DomainError
from remote_signing.choices import ControlState

SHA256 = "2.16.840.1.101.3.4.2.1"
# The hash algorithms a signature may be asked for, by OID: name and digest size.
HASH_ALGORITHMS = {
    SHA256: ("sha256", 32),
    "2.16.840.1.101.3.4.2.2": ("sha384", 48),
    "2.16.840.1.101.3.4.2.3": ("sha512", 64),
}
PIN_LENGTHS = range(6, 17)  # as a token's PIN (docs/domain.md §8)


class RemoteSigningRefused(DomainError):
    """A request the service refuses: nothing signed, nothing changed but the count of wrong
    PINs (and the lock it may bring)."""


def decoded_hashes(hashes, hash_algorithm: str) -> list[bytes]:
    """The hashes to sign as bytes: a known algorithm, one hash at least and at most
    REMOTE_SIGNING_MAX_HASHES, each strict base64 of the algorithm's digest size."""
    if hash_algorithm not in HASH_ALGORITHMS:
        raise RemoteSigningRefused(
            _("Thuật toán băm “%(oid)s” không được hỗ trợ.") % {"oid": str(hash_algorithm)[:64]},
            code="unknown_hash_algorithm",
        )
    if not isinstance(hashes, list | tuple) or not hashes:
        raise RemoteSigningRefused(_("Không có giá trị băm nào để ký."), code="no_hashes")
    if len(hashes) > settings.REMOTE_SIGNING_MAX_HASHES:
        raise RemoteSigningRefused(
            _("Một lần xác nhận ký được tối đa %(most)s giá trị băm.")
            % {"most": settings.REMOTE_SIGNING_MAX_HASHES},
            code="too_many_hashes",
        )
    size = HASH_ALGORITHMS[hash_algorithm][1]
    decoded = []
    for value in hashes:
        try:
            digest = base64.b64decode(value, validate=True) if isinstance(value, str) else b""
        except (binascii.Error, ValueError):
            digest = b""
        if len(digest) != size:
            raise RemoteSigningRefused(
                _("Giá trị băm không hợp lệ (cần %(size)s byte, mã hóa base64).") % {"size": size},
                code="malformed_hash",
            )
        decoded.append(digest)
    return decoded


def require_holder(holder_user_id: int | None, user) -> None:
    if holder_user_id is None or getattr(user, "pk", None) != holder_user_id:
        raise RemoteSigningRefused(_("Khóa ký số này không phải của bạn."), code="not_holder")


def require_signing_state(state: str) -> None:
    """Only an activated, unlocked credential signs."""
    if state == ControlState.LOCKED:
        raise RemoteSigningRefused(
            _(
                "Khóa ký số đang bị khóa (nhập sai mã PIN quá số lần, hoặc người giữ khóa "
                "tự khóa): đề nghị mở khóa (Mẫu 06)."
            ),
            code="locked",
        )
    if state != ControlState.ACTIVE:
        raise RemoteSigningRefused(_("Khóa ký số chưa được kích hoạt."), code="not_activated")


def require_pin_policy(pin: str) -> None:
    if not isinstance(pin, str) or len(pin) not in PIN_LENGTHS or not pin.isdigit():
        raise RemoteSigningRefused(_("Mã PIN gồm từ 6 đến 16 chữ số."), code="pin_policy")


def wrong_pin(failed: int) -> RemoteSigningRefused:
    """The refusal after the `failed`-th wrong PIN in a row: how many tries are left, or the
    lock."""
    left = settings.REMOTE_SIGNING_MAX_PIN_TRIES - failed
    if left <= 0:
        return RemoteSigningRefused(
            _("Mã PIN không đúng. Khóa ký số đã bị khóa: đề nghị mở khóa (Mẫu 06)."),
            code="locked",
        )
    return RemoteSigningRefused(
        _("Mã PIN không đúng. Còn %(left)s lần thử trước khi khóa ký số bị khóa.") % {"left": left},
        code="invalid_pin",
    )


def require_usable_authorization(used_at: datetime | None, expires_at: datetime, now) -> None:
    if used_at is not None:
        raise RemoteSigningRefused(
            _("Xác nhận ký này đã được dùng: hãy xác nhận lại."), code="authorization_used"
        )
    if now >= expires_at:
        raise RemoteSigningRefused(
            _("Xác nhận ký đã hết hạn: hãy xác nhận lại."), code="authorization_expired"
        )


def require_same_hashes(
    authorized: list[str], algorithm: str, asked: list[bytes], asked_algorithm: str
) -> None:
    """The hashes to sign are exactly those authorised (their count and values, in any
    order), with the same algorithm."""
    as_base64 = sorted(base64.b64encode(digest).decode("ascii") for digest in asked)
    if asked_algorithm != algorithm or as_base64 != sorted(authorized):
        raise RemoteSigningRefused(
            _("Giá trị băm cần ký khác với giá trị đã được xác nhận."), code="hash_not_authorized"
        )
