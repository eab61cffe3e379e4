"""The remote-signing checks' refusals as the holder reads them (remote_signing/rules.py):
each message word for word, each code, the authorisation's deadline at the boundary (refused at
its expiry instant, good a microsecond before), and what a hash to sign must be."""

import base64
from datetime import UTC, datetime, timedelta

import pytest

from remote_signing import rules
from remote_signing.choices import ControlState
from remote_signing.rules import RemoteSigningRefused

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
DIGEST = base64.b64encode(b"\x07" * 32).decode()


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


def test_a_credential_that_does_not_sign_says_why():
    locked = refusal(lambda: rules.require_signing_state(ControlState.LOCKED))
    waiting = refusal(lambda: rules.require_signing_state(ControlState.AWAITING_ACTIVATION))

    assert (locked.code, str(locked.message)) == (
        "locked",
        "Khóa ký số đang bị khóa (nhập sai mã PIN quá số lần, hoặc người giữ khóa tự khóa): "
        "đề nghị mở khóa (Mẫu 06).",
    )
    assert (waiting.code, str(waiting.message)) == (
        "not_activated",
        "Khóa ký số chưa được kích hoạt.",
    )
    rules.require_signing_state(ControlState.ACTIVE)


def test_an_unknown_algorithm_is_named_in_the_refusal_up_to_64_characters():
    oid = "1.2.3." + "4" * 70
    unknown = refusal(lambda: rules.decoded_hashes([DIGEST], oid))

    assert (unknown.code, str(unknown.message)) == (
        "unknown_hash_algorithm",
        f"Thuật toán băm “{oid[:64]}” không được hỗ trợ.",
    )


def test_no_hashes_and_too_many_are_refused_in_words(settings):
    settings.REMOTE_SIGNING_MAX_HASHES = 2
    none = refusal(lambda: rules.decoded_hashes([], rules.SHA256))
    many = refusal(lambda: rules.decoded_hashes([DIGEST] * 3, rules.SHA256))

    assert (none.code, str(none.message)) == ("no_hashes", "Không có giá trị băm nào để ký.")
    assert (many.code, str(many.message)) == (
        "too_many_hashes",
        "Một lần xác nhận ký được tối đa 2 giá trị băm.",
    )
    assert rules.decoded_hashes([DIGEST] * 2, rules.SHA256) == [b"\x07" * 32] * 2


@pytest.mark.parametrize(
    "value",
    [
        DIGEST[:10] + "!" + DIGEST[10:],  # a character outside base64: not skipped
        DIGEST.encode(),  # bytes, not text
        base64.b64encode(b"\x07" * 31).decode(),  # one byte short
    ],
)
def test_a_hash_is_strict_base64_text_of_the_digest_size(value):
    malformed = refusal(lambda: rules.decoded_hashes([value], rules.SHA256))

    assert (malformed.code, str(malformed.message)) == (
        "malformed_hash",
        "Giá trị băm không hợp lệ (cần 32 byte, mã hóa base64).",
    )


def test_only_the_holder_of_a_credential_uses_it(django_user_model):
    holder = django_user_model(pk=7)
    someone = django_user_model(pk=8)

    rules.require_holder(7, holder)
    for user_id, user in ((7, someone), (None, holder), (7, object())):
        refused = refusal(lambda user_id=user_id, user=user: rules.require_holder(user_id, user))
        assert (refused.code, str(refused.message)) == (
            "not_holder",
            "Khóa ký số này không phải của bạn.",
        )


@pytest.mark.parametrize("pin", ["12345", "1234567890123456X", "12345a"])
def test_a_pin_outside_the_policy_is_refused_in_words(pin):
    refused = refusal(lambda: rules.require_pin_policy(pin))

    assert (refused.code, str(refused.message)) == ("pin_policy", "Mã PIN gồm từ 6 đến 16 chữ số.")
