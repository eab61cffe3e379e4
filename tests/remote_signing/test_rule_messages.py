"""The remote-signing checks' refusals as the holder reads them (remote_signing/rules.py):
each message word for word, and the authorisation's deadline at the boundary (refused at its
expiry instant, good a microsecond before)."""

from datetime import UTC, datetime, timedelta

import pytest

from remote_signing import rules
from remote_signing.rules import RemoteSigningRefused

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def refusal(call) -> RemoteSigningRefused:
    with pytest.raises(RemoteSigningRefused) as refused:
        call()
    return refused.value


def test_the_last_wrong_pin_says_the_credential_is_locked(settings):
    settings.REMOTE_SIGNING_MAX_PIN_TRIES = 5

    locked = rules.wrong_pin(5)
    one_left = rules.wrong_pin(4)

    assert (locked.code, str(locked.message)) == (
        "locked",
        "Mã PIN không đúng. Khóa ký số đã bị khóa: đề nghị mở khóa (Mẫu 06).",
    )
    assert (one_left.code, str(one_left.message)) == (
        "invalid_pin",
        "Mã PIN không đúng. Còn 1 lần thử trước khi khóa ký số bị khóa.",
    )


def test_a_used_authorisation_is_refused_in_words():
    used = refusal(lambda: rules.require_usable_authorization(NOW, NOW + timedelta(minutes=5), NOW))

    assert (used.code, str(used.message)) == (
        "authorization_used",
        "Xác nhận ký này đã được dùng: hãy xác nhận lại.",
    )


def test_an_authorisation_is_refused_at_its_expiry_and_good_just_before():
    expired = refusal(lambda: rules.require_usable_authorization(None, NOW, NOW))

    assert (expired.code, str(expired.message)) == (
        "authorization_expired",
        "Xác nhận ký đã hết hạn: hãy xác nhận lại.",
    )
    rules.require_usable_authorization(None, NOW + timedelta(microseconds=1), NOW)


def test_a_hash_other_than_the_authorised_one_is_refused_in_words():
    other = refusal(
        lambda: rules.require_same_hashes(["AAAA"], rules.SHA256, [b"\x01" * 32], rules.SHA256)
    )

    assert (other.code, str(other.message)) == (
        "hash_not_authorized",
        "Giá trị băm cần ký khác với giá trị đã được xác nhận.",
    )
