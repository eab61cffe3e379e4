"""SIM PKI through the simulated carrier's gateway (docs/remote-signing.md, "SIM PKI"): the
provider's MSS_SignatureReq and MSS_StatusReq (ETSI TS 102 204, JSON binding), the holder's
phone showing the text and the hash, the SIM (a real SoftHSM2 token) signing with its PIN;
openssl verifies the signature. Each refusal: a status code or a Vietnamese message, nothing
signed. A letter signed with a SIM: tests/remote_signing/test_sim_letters.py."""

import base64
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from devices.choices import DeviceStatus
from devices.models import Device
from devices.services import device_recover, device_token_pin_reset, device_token_pin_reveal
from portal.models import AuditEvent
from remote_signing import gateway
from remote_signing.choices import MobileState
from remote_signing.models import MobileSignature, SimCard
from remote_signing.rules import SHA256, RemoteSigningRefused
from tests import factories as f
from tests.helpers import sign_in
from tests.remote_signing.world import digest_of, openssl_verifies, sim_holder, wrong_pin_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ca")]


def ask(digest, *, trans="AP-1", msisdn="+84912345678", ap_id=None, **changes) -> dict:
    request = {
        "MajorVersion": "1",
        "MinorVersion": "1",
        "AP_Info": {"AP_ID": django_settings.MSS_AP_ID, "AP_TransID": trans, "Instant": "x"},
        "MSSP_Info": {"MSSP_ID": {"URI": gateway.MSSP_URI}},
        "MobileUser": {"MSISDN": msisdn},
        "DataToBeSigned": {"MimeType": "application/octet-stream", "Encoding": "base64",
                           "Data": digest},
        "DataToBeDisplayed": {"MimeType": "text/plain", "Encoding": "UTF-8",
                              "Data": "Ký Công văn số 12/STC-VP"},
        "SignatureProfile": {"mssURI": "urn:oid:" + SHA256},
        "MSS_Format": {"mssURI": gateway.PKCS1},
        "MessagingMode": "asynchClientServer",
    }  # fmt: skip
    request.update(changes)
    return gateway.mss_signature(
        {"MSS_SignatureReq": request}, ap_id=ap_id or django_settings.MSS_AP_ID
    )["MSS_SignatureResp"]


def status_of(trans_id) -> dict:
    return gateway.mss_status(
        {"MSS_StatusReq": {"AP_Info": {}, "MSSP_TransID": trans_id}},
        ap_id=django_settings.MSS_AP_ID,
    )["MSS_StatusResp"]


def code(answer) -> int:
    return int(answer["Status"]["StatusCode"]["Value"])


def refused(call) -> str:
    with pytest.raises(RemoteSigningRefused) as refusal:
        call()
    return refusal.value.code


def test_the_sim_signs_the_hash_with_its_pin_and_openssl_verifies_it(cast, settings, tmp_path):
    holder = sim_holder(cast, settings)
    digest = digest_of("Công văn số 12/STC-VP")

    asked = ask(digest)
    assert code(asked) == 100 and asked["Status"]["StatusMessage"] == "REQUEST_OK"
    trans_id = asked["MSSP_TransID"]
    assert code(status_of(trans_id)) == 504  # OUTSTANDING_TRANSACTION

    gateway.sim_sign(transaction_id=trans_id, pin=holder.pin, by=holder.user)

    answer = status_of(trans_id)
    assert code(answer) == 500 and answer["Status"]["StatusMessage"] == "SIGNATURE"
    signature = base64.b64decode(answer["MSS_Signature"]["Base64Signature"])
    public = holder.device.token.public_key_der
    assert openssl_verifies(public, digest, signature, tmp_path)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"mobile_signature.request", "mobile_signature.sign"} <= actions


def test_the_phone_shows_the_text_and_the_hash_and_signs_on_the_pin(client, cast, settings):
    holder = sim_holder(cast, settings)
    digest = digest_of("x")
    trans_id = ask(digest)["MSSP_TransID"]
    sign_in(client, holder.user)

    shown = client.get(reverse("remote_signing:phone")).content.decode()
    short = base64.b64decode(digest)[:8].hex().upper()
    assert "Ký Công văn số 12/STC-VP" in shown
    assert " ".join(short[i : i + 4] for i in range(0, 16, 4)) in shown

    answered = client.post(
        reverse("remote_signing:phone_answer", args=[trans_id]), {"pin": holder.pin}
    )
    assert answered.status_code == 302
    assert code(status_of(trans_id)) == 500
    again = client.get(reverse("remote_signing:phone")).content.decode()
    assert "Không có yêu cầu ký nào đang chờ." in again


def test_a_request_is_kept_once_per_transaction_of_the_provider(cast, settings):
    sim_holder(cast, settings)
    first = ask(digest_of("a"))

    retry = ask(digest_of("a"))
    other = ask(digest_of("b"))

    assert retry["MSSP_TransID"] == first["MSSP_TransID"]
    assert code(other) == 101 and "AP_TransID" in other["Status"]["StatusDetail"]
    assert MobileSignature.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"msisdn": "0987654321"}, 105),  # UNKNOWN_CLIENT: no SIM with that number
        ({"msisdn": "12345"}, 101),
        ({"ap_id": "http://another-provider"}, 104),  # UNAUTHORIZED_ACCESS
        ({"SignatureProfile": {"mssURI": "urn:oid:1.2.3"}}, 109),  # UNSUPPORTED_PROFILE
        ({"MSS_Format": {"mssURI": "http://uri.etsi.org/TS102204/v1.1.2#CMS-Signature"}}, 109),
        ({"DataToBeSigned": {"Encoding": "base64", "Data": "not base64!"}}, 101),
        ({"DataToBeSigned": {"Encoding": "base64", "Data": "AAAA"}}, 101),  # wrong length
        ({"DataToBeSigned": {"Encoding": "UTF-8", "Data": "abc"}}, 101),
        ({"DataToBeDisplayed": {"Data": ""}}, 102),  # MISSING_PARAM
        ({"DataToBeDisplayed": {"Data": "x" * 256}}, 101),
        ({"DataToBeDisplayed": {"Data": "Ký\x00"}}, 101),  # a NUL the database refuses
        ({"AP_Info": {"AP_ID": django_settings.MSS_AP_ID, "AP_TransID": "A\x00"}}, 101),
        ({"MobileUser": None}, 102),
    ],
)
def test_a_malformed_or_unknown_request_is_answered_with_its_status(
    cast, settings, changes, expected
):
    sim_holder(cast, settings)
    digest = digest_of("a")
    keyword = {k: changes.pop(k) for k in ("msisdn", "ap_id") if k in changes}

    answer = ask(digest, **keyword, **changes)

    assert code(answer) == expected and answer["Status"]["StatusDetail"]
    assert "MSSP_TransID" not in answer
    assert not MobileSignature.objects.exists()
    refusal = AuditEvent.objects.get(action="mobile_signature.refused")
    assert (
        refusal.after["status"] == expected and refusal.reason == answer["Status"]["StatusDetail"]
    )


def test_a_status_of_an_unknown_or_another_providers_transaction_is_refused(cast, settings):
    sim_holder(cast, settings)
    trans_id = ask(digest_of("a"))["MSSP_TransID"]

    assert code(status_of(str(uuid.uuid4()))) == 101
    assert code(status_of("not-a-uuid")) == 101
    foreign = gateway.mss_status(
        {"MSS_StatusReq": {"MSSP_TransID": trans_id}}, ap_id="http://another-provider"
    )["MSS_StatusResp"]
    assert code(foreign) == 101


def test_the_holder_refusing_on_the_phone_is_user_cancel(cast, settings):
    holder = sim_holder(cast, settings)
    trans_id = ask(digest_of("a"))["MSSP_TransID"]

    gateway.sim_cancel(transaction_id=trans_id, by=holder.user)

    assert code(status_of(trans_id)) == 401
    assert (
        refused(lambda: gateway.sim_sign(transaction_id=trans_id, pin=holder.pin, by=holder.user))
        == "answered"
    )


def test_an_unanswered_request_expires(cast, settings):
    holder = sim_holder(cast, settings)
    trans_id = ask(digest_of("a"))["MSSP_TransID"]
    found = MobileSignature.objects.get(pk=trans_id)
    assert found.expires_at - found.created_at == timedelta(
        seconds=settings.REMOTE_SIGNING_SIM_SECONDS
    )
    MobileSignature.objects.filter(pk=trans_id).update(expires_at=timezone.now())

    assert code(status_of(trans_id)) == 208
    assert (
        refused(lambda: gateway.sim_sign(transaction_id=trans_id, pin=holder.pin, by=holder.user))
        == "expired"
    )
    assert MobileSignature.objects.get(pk=trans_id).state == MobileState.EXPIRED
    late = ask(digest_of("b"), trans="AP-2")["MSSP_TransID"]
    MobileSignature.objects.filter(pk=late).update(expires_at=timezone.now())
    assert refused(lambda: gateway.sim_cancel(transaction_id=late, by=holder.user)) == "expired"
    assert code(status_of(late)) == 208


def test_a_request_is_answered_until_the_instant_it_expires(cast, settings):
    holder = sim_holder(cast, settings)
    signed = ask(digest_of("a"))["MSSP_TransID"]
    cancelled = ask(digest_of("b"), trans="AP-2")["MSSP_TransID"]
    expires_at = MobileSignature.objects.get(pk=signed).expires_at
    MobileSignature.objects.filter(pk=cancelled).update(expires_at=expires_at)

    with time_machine.travel(expires_at - timedelta(microseconds=1), tick=False):
        assert code(status_of(signed)) == 504  # still waiting for the phone
        gateway.sim_sign(transaction_id=signed, pin=holder.pin, by=holder.user)
        gateway.sim_cancel(transaction_id=cancelled, by=holder.user)

    assert code(status_of(signed)) == 500
    assert code(status_of(cancelled)) == 401
    assert MobileSignature.objects.get(pk=signed).state == MobileState.SIGNED

    late = ask(digest_of("c"), trans="AP-3")["MSSP_TransID"]
    late_cancel = ask(digest_of("d"), trans="AP-4")["MSSP_TransID"]
    MobileSignature.objects.filter(pk__in=[late, late_cancel]).update(expires_at=expires_at)
    with time_machine.travel(expires_at, tick=False):
        assert code(status_of(late)) == 208
        sign = lambda: gateway.sim_sign(transaction_id=late, pin=holder.pin, by=holder.user)  # noqa: E731
        assert refused(sign) == "expired"
        cancel = lambda: gateway.sim_cancel(transaction_id=late_cancel, by=holder.user)  # noqa: E731
        assert refused(cancel) == "expired"


def test_only_the_sims_holder_answers(cast, settings):
    holder = sim_holder(cast, settings)
    trans_id = ask(digest_of("a"))["MSSP_TransID"]
    someone = f.UserFactory()

    assert (
        refused(lambda: gateway.sim_sign(transaction_id=trans_id, pin=holder.pin, by=someone))
        == "not_holder"
    )
    assert refused(lambda: gateway.sim_cancel(transaction_id=trans_id, by=someone)) == "not_holder"
    assert code(status_of(trans_id)) == 504
    assert AuditEvent.objects.filter(action="mobile_signature.refused").count() == 2


def test_the_sims_pin_blocks_at_the_settings_wrong_tries_in_a_row(cast, settings):
    settings.REMOTE_SIGNING_SIM_PIN_TRIES = 3
    holder = sim_holder(cast, settings)
    wrong = holder.wrong_pin
    trans_id = ask(digest_of("a"))["MSSP_TransID"]

    def sign(pin):
        return refused(lambda: gateway.sim_sign(transaction_id=trans_id, pin=pin, by=holder.user))

    assert sign(wrong) == "invalid_pin"
    assert sign(wrong) == "invalid_pin"  # two in a row: one try left
    assert code(status_of(trans_id)) == 504
    assert Device.objects.get(pk=holder.device.pk).status == DeviceStatus.DELIVERED_TO_AGENCY
    assert sign(wrong) == "pin_blocked"  # the third

    assert code(status_of(trans_id)) == 402
    assert Device.objects.get(pk=holder.device.pk).status == DeviceStatus.LOCKED  # by itself
    assert SimCard.objects.get(device=holder.device).blocked_at is not None
    assert code(ask(digest_of("b"), trans="AP-2")) == 402
    assert AuditEvent.objects.filter(action="sim.pin_block").count() == 1


def test_a_right_pin_clears_the_count_of_wrong_ones(cast, settings):
    settings.REMOTE_SIGNING_SIM_PIN_TRIES = 2
    holder = sim_holder(cast, settings)
    wrong = holder.wrong_pin
    first = ask(digest_of("a"))["MSSP_TransID"]
    second = ask(digest_of("b"), trans="AP-2")["MSSP_TransID"]

    refused(lambda: gateway.sim_sign(transaction_id=first, pin=wrong, by=holder.user))
    gateway.sim_sign(transaction_id=first, pin=holder.pin, by=holder.user)
    refused(lambda: gateway.sim_sign(transaction_id=second, pin=wrong, by=holder.user))

    assert code(status_of(second)) == 504  # one wrong since the right one: not blocked


def test_a_new_pin_from_the_recovery_unblocks_the_sim(cast, settings):
    settings.REMOTE_SIGNING_SIM_PIN_TRIES = 1
    holder = sim_holder(cast, settings)
    wrong = holder.wrong_pin
    blocked = ask(digest_of("a"))["MSSP_TransID"]
    refused(lambda: gateway.sim_sign(transaction_id=blocked, pin=wrong, by=holder.user))
    assert code(ask(digest_of("b"), trans="AP-2")) == 402

    # Mẫu 06: the CA's security officer sets a new PIN, sealed for the handover
    device_recover(device=holder.device, by=cast.ca_operator)
    assert Device.objects.get(pk=holder.device.pk).status == DeviceStatus.HANDED_TO_SUBSCRIBER
    pin = device_token_pin_reveal(device=holder.device, by=cast.ca_operator)
    again = ask(digest_of("c"), trans="AP-3")
    assert code(again) == 100
    gateway.sim_sign(transaction_id=again["MSSP_TransID"], pin=pin, by=holder.user)

    assert code(status_of(again["MSSP_TransID"])) == 500
    card = SimCard.objects.get(device=holder.device)
    assert card.blocked_at is None and card.failed_pins == 0


def test_a_new_pin_starts_the_count_of_wrong_ones_again(cast, settings):
    settings.REMOTE_SIGNING_SIM_PIN_TRIES = 3
    holder = sim_holder(cast, settings)
    wrong = holder.wrong_pin
    first = ask(digest_of("a"))["MSSP_TransID"]
    for _ in range(2):
        refused(lambda: gateway.sim_sign(transaction_id=first, pin=wrong, by=holder.user))

    device_token_pin_reset(device=holder.device, by=cast.ca_operator)
    pin = device_token_pin_reveal(device=holder.device, by=cast.ca_operator)
    wrong = wrong_pin_for(pin)

    # one wrong with the new PIN is the first of three, not the third
    assert (
        refused(lambda: gateway.sim_sign(transaction_id=first, pin=wrong, by=holder.user))
        == "invalid_pin"
    )
    assert SimCard.objects.get(device=holder.device).failed_pins == 1
