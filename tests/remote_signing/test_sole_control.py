"""Sole control of a remote-signing credential (docs/remote-signing.md), on a real SoftHSM2
slot: the CA's activation code, the holder's PIN and authenticator, an authorisation bound to
the exact hashes, used once within its time, the signature checked by openssl; and each
refusal: audited, nothing signed."""

import base64
import hashlib
import hmac
from datetime import timedelta

import pytest
from django.utils import timezone

from certificates.backends import remote_keys
from certificates.choices import SIGNATURE_KINDS, RevocationReason, SigningEventKind
from certificates.models import SigningEvent
from certificates.services import certificate_revoke
from portal.models import AuditEvent
from remote_signing import services
from remote_signing.choices import ControlState
from remote_signing.models import SignatureAuthorization, SoleControl
from remote_signing.rules import RemoteSigningRefused
from tests import factories as f
from tests.remote_signing.world import (
    PIN,
    SHA256,
    activated,
    credential_of,
    digest_of,
    openssl_verifies,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ca")]


def _refused(call) -> str:
    with pytest.raises(RemoteSigningRefused) as refused:
        call()
    return refused.value.code


def _refusals() -> list[str]:
    return [e.after["code"] for e in AuditEvent.objects.filter(action="remote_signature.refused")]


# --- the way through -----------------------------------------------------------------------
def test_a_hash_authorised_with_pin_and_code_is_signed_in_the_hsm_and_openssl_verifies_it(
    holder, tmp_path
):
    digest = digest_of("Công văn số 12/STC-VP")

    (signature,) = holder.sign(holder.authorize([digest]), [digest])

    assert openssl_verifies(holder.credential.public_key_der, digest, signature, tmp_path)
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    assert actions[-5:] == [
        "remote_credential.code_issue",
        "remote_credential.activate",
        "device.activate",
        "remote_signature.authorize",
        "remote_signature.sign",
    ]


def test_no_pin_code_or_secret_is_kept_in_clear(cast):
    credential = credential_of(cast)
    code = services.activation_code_issue(credential=credential, by=cast.ca_operator)
    control = SoleControl.objects.get(credential=credential)
    assert code.replace("-", "") not in control.code_digest

    secret = services.credential_activate(
        credential=credential, code=code, pin=PIN, by=cast.subscriber.user
    )

    control.refresh_from_db()
    assert control.pin_hash.startswith("hsm-hmac-sha256$") and PIN not in control.pin_hash
    assert control.state == ControlState.ACTIVE and control.code_digest == ""
    stored = SoleControl.objects.filter(pk=control.pk).values_list("totp_key", flat=True)
    raw = next(iter(stored.query.get_compiler("default").execute_sql(result_type="single")))
    assert base64.b32decode(secret).hex() not in str(raw)


# --- the PIN's check, keyed in the HSM ----------------------------------------------------
def test_the_pin_is_kept_as_a_salted_mac_of_the_hsms_pin_key(holder):
    control = SoleControl.objects.get(credential=holder.credential)
    scheme, salt, mac = control.pin_hash.split("$")
    data = "\x00".join(("remote-signing-pin", holder.credential.credential_id, salt, PIN))

    assert scheme == "hsm-hmac-sha256" and len(salt) == 32
    assert mac == remote_keys.remote_pin_mac(data=data.encode()).hex()
    # the key is the HSM's: the same PIN, salt and id under another key give another MAC
    assert mac != hmac.new(b"\x00" * 32, data.encode(), hashlib.sha256).hexdigest()


def test_the_same_pin_of_two_credentials_is_kept_differently(cast, holder):
    other = activated(cast, f.PersonFactory(organization=cast.agency_a, user=f.UserFactory()))
    first, second = (
        SoleControl.objects.get(credential=h.credential).pin_hash for h in (holder, other)
    )

    assert first.split("$")[2] != second.split("$")[2]


def test_a_pin_kept_the_older_way_still_signs_and_is_then_kept_in_the_hsms_form(holder):
    control = SoleControl.objects.get(credential=holder.credential)
    control.pin_hash = services.PIN_HASHER.encode(PIN, services.PIN_HASHER.salt())
    control.save(update_fields=["pin_hash"])

    wrong = lambda: holder.authorize([digest_of("a")], pin="13579246", otp="000000")  # noqa: E731
    assert _refused(wrong) == "invalid_pin"
    control.refresh_from_db()
    assert control.pin_hash.startswith("pbkdf2_sha256$")

    holder.authorize([digest_of("b")])
    control.refresh_from_db()
    assert control.pin_hash.startswith("hsm-hmac-sha256$")
    holder.authorize([digest_of("c")])


def test_the_pin_key_never_leaves_the_hsm(holder):
    flags = remote_keys.remote_pin_key_flags()

    assert flags == {
        "extractable": False, "sensitive": True, "always_sensitive": True,
        "never_extractable": True,
    }  # fmt: skip


# --- activation ----------------------------------------------------------------------------
def test_a_wrong_or_expired_activation_code_is_refused(cast):
    credential = credential_of(cast)
    code = services.activation_code_issue(credential=credential, by=cast.ca_operator)
    user = cast.subscriber.user

    def activate(with_code):
        return lambda: services.credential_activate(
            credential=credential, code=with_code, pin=PIN, by=user
        )

    assert _refused(activate("aaaa-bbbb-cccc-dddd")) == "invalid_activation_code"
    SoleControl.objects.filter(credential=credential).update(code_expires_at=timezone.now())
    assert _refused(activate(code)) == "invalid_activation_code"
    SoleControl.objects.filter(credential=credential).update(
        code_expires_at=timezone.now() + timedelta(seconds=5)
    )
    assert services.credential_activate(credential=credential, code=code, pin=PIN, by=user)
    assert _refusals() == ["invalid_activation_code", "invalid_activation_code"]


@pytest.mark.parametrize(
    ("pin", "ok"),
    [("12345", False), ("123456", True), ("1" * 16, True), ("1" * 17, False), ("12345a", False)],
)
def test_the_signing_pin_is_6_to_16_digits(cast, pin, ok):
    credential = credential_of(cast)
    code = services.activation_code_issue(credential=credential, by=cast.ca_operator)

    def activate():
        return services.credential_activate(
            credential=credential, code=code, pin=pin, by=cast.subscriber.user
        )

    if ok:
        assert activate()
    else:
        assert _refused(activate) == "pin_policy"


def test_only_the_holder_activates_and_signs(cast, holder):
    other = f.PersonFactory(organization=cast.agency_a, user=f.UserFactory())
    theirs = credential_of(cast, person=other)
    code = services.activation_code_issue(credential=theirs, by=cast.ca_operator)

    assert (
        _refused(
            lambda: services.credential_activate(
                credential=theirs, code=code, pin=PIN, by=holder.user
            )
        )
        == "not_holder"
    )
    holder.credential = theirs
    assert _refused(lambda: holder.authorize([digest_of("x")])) == "not_holder"


# --- PIN, code and lock --------------------------------------------------------------------
def test_the_fifth_wrong_pin_in_a_row_locks_the_credential(holder, settings):
    settings.REMOTE_SIGNING_MAX_PIN_TRIES = 5
    digest = [digest_of("x")]

    for left in (4, 3, 2, 1):
        with pytest.raises(RemoteSigningRefused) as refused:
            holder.authorize(digest, pin="000000")
        assert refused.value.code == "invalid_pin" and f"Còn {left} lần" in refused.value.message
    control = SoleControl.objects.get(credential=holder.credential)
    assert control.state == ControlState.ACTIVE and control.failed_pins == 4

    assert _refused(lambda: holder.authorize(digest, pin="000000")) == "locked"
    control.refresh_from_db()
    assert control.state == ControlState.LOCKED and control.locked_at is not None
    assert AuditEvent.objects.filter(action="remote_credential.lock").count() == 1
    assert _refused(lambda: holder.authorize(digest)) == "locked"  # the right PIN too
    assert not SignatureAuthorization.objects.exists()


def test_a_right_pin_clears_the_count_of_wrong_ones(holder, settings):
    settings.REMOTE_SIGNING_MAX_PIN_TRIES = 2
    _refused(lambda: holder.authorize([digest_of("x")], pin="000000"))

    holder.authorize([digest_of("x")])
    _refused(lambda: holder.authorize([digest_of("x")], pin="000000"))

    assert SoleControl.objects.get(credential=holder.credential).state == ControlState.ACTIVE


def test_a_wrong_or_reused_authenticator_code_is_refused(holder):
    code = holder.code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    assert _refused(lambda: holder.authorize([digest_of("x")], otp=wrong)) == "invalid_otp"
    holder.authorize([digest_of("x")], otp=code)
    assert _refused(lambda: holder.authorize([digest_of("y")], otp=code)) == "invalid_otp"
    assert SignatureAuthorization.objects.count() == 1


# --- the authorisation ----------------------------------------------------------------------
def test_an_authorisation_is_used_once(holder):
    digest = [digest_of("x")]
    token = holder.authorize(digest)
    holder.sign(token, digest)

    assert _refused(lambda: holder.sign(token, digest)) == "authorization_used"
    assert _refused(lambda: holder.sign("not-a-token", digest)) == "invalid_authorization"


def test_an_authorisation_expires(holder):
    digest = [digest_of("x")]
    token = holder.authorize(digest)
    authorization = SignatureAuthorization.objects.get()
    late = timezone.now() - timedelta(seconds=1)
    SignatureAuthorization.objects.filter(pk=authorization.pk).update(
        created_at=late - timedelta(minutes=5), expires_at=late
    )
    assert _refused(lambda: holder.sign(token, digest)) == "authorization_expired"

    SignatureAuthorization.objects.filter(pk=authorization.pk).update(
        expires_at=timezone.now() + timedelta(seconds=5)
    )
    assert holder.sign(token, digest)


def test_it_lasts_the_settings_seconds(holder, settings):
    settings.REMOTE_SIGNING_AUTHORIZATION_SECONDS = 300
    holder.authorize([digest_of("x")])

    authorization = SignatureAuthorization.objects.get()
    assert authorization.expires_at - authorization.created_at == timedelta(seconds=300)


@pytest.mark.parametrize(
    "asked",
    [["other"], ["x", "y"], []],
    ids=["another hash", "one more hash", "none"],
)
def test_only_the_authorised_hashes_are_signed(holder, asked):
    token = holder.authorize([digest_of("x")])

    code = _refused(lambda: holder.sign(token, [digest_of(text) for text in asked]))

    assert code == ("no_hashes" if not asked else "hash_not_authorized")
    assert SignatureAuthorization.objects.get().used_at is None


def test_two_hashes_authorised_are_signed_in_any_order(holder):
    hashes = [digest_of("x"), digest_of("y")]
    token = holder.authorize(hashes)

    assert len(holder.sign(token, hashes[::-1])) == 2


def test_the_algorithm_signed_is_the_one_authorised(holder):
    digest = base64.b64encode(hashlib.sha384(b"x").digest()).decode()
    token = holder.authorize([digest], algorithm="2.16.840.1.101.3.4.2.2")

    code = _refused(lambda: holder.sign(token, [digest_of("x")]))

    assert code == "hash_not_authorized"


@pytest.mark.parametrize(("count", "ok"), [(3, True), (4, False)])
def test_an_authorisation_covers_at_most_the_settings_hashes(holder, settings, count, ok):
    settings.REMOTE_SIGNING_MAX_HASHES = 3
    hashes = [digest_of(str(n)) for n in range(count)]

    if ok:
        assert len(holder.sign(holder.authorize(hashes), hashes)) == count
    else:
        assert _refused(lambda: holder.authorize(hashes)) == "too_many_hashes"


@pytest.mark.parametrize(
    ("hashes", "algorithm", "code"),
    [
        (["%%%"], SHA256, "malformed_hash"),
        ([base64.b64encode(b"short").decode()], SHA256, "malformed_hash"),
        ([digest_of("x")], "1.2.840.113549.2.5", "unknown_hash_algorithm"),
        ("not a list", SHA256, "no_hashes"),
    ],
    ids=["not base64", "wrong length", "MD5", "not a list"],
)
def test_malformed_requests_are_refused_before_anything(holder, hashes, algorithm, code):
    assert _refused(lambda: holder.authorize(hashes, algorithm=algorithm)) == code
    assert not SignatureAuthorization.objects.exists()
    assert _refusals() == [code]


# --- the credential's end -------------------------------------------------------------------
def test_a_revoked_credential_signs_nothing(holder, cast, django_capture_on_commit_callbacks):
    digest = [digest_of("x")]
    token = holder.authorize(digest)
    certificate = holder.credential.device.certificates.get()
    with django_capture_on_commit_callbacks(execute=True):
        certificate_revoke(
            certificate=certificate, by=cast.ca_operator, reason=RevocationReason.RETIRED
        )

    holder.credential.refresh_from_db()
    assert _refused(lambda: holder.sign(token, digest)) == "revoked"
    assert _refused(lambda: holder.authorize(digest)) == "revoked"


def test_a_credential_whose_certificate_expired_signs_nothing(holder):
    digest = [digest_of("x")]
    token = holder.authorize(digest)
    holder.credential.device.certificates.update(not_after=timezone.now())

    assert _refused(lambda: holder.sign(token, digest)) == "certificate_invalid"


# --- the signing monitor ---------------------------------------------------------------------
def test_each_signature_for_an_application_reaches_the_monitor_as_remote(holder):
    hashes = [digest_of("một"), digest_of("hai")]

    holder.sign(holder.authorize(hashes), hashes)

    events = SigningEvent.objects.filter(kind=SigningEventKind.REMOTE)
    assert events.count() == 2
    certificate = holder.credential.device.certificates.get()
    assert {(e.certificate_id, e.agency_id) for e in events} == {
        (certificate.pk, certificate.agency_id)
    }
    assert SigningEventKind.REMOTE in SIGNATURE_KINDS  # counted as signing by the monitor


def test_a_refused_signature_reaches_no_monitor(holder):
    token = holder.authorize([digest_of("a")])

    _refused(lambda: holder.sign(token, [digest_of("b")]))

    assert not SigningEvent.objects.exists()
