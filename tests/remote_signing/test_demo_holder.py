"""The demo's remote-signing holders (remote_signing/demo.py): `thuebao` signs with the
documented demo PIN and a code of the published authenticator secret, `lanhdao.sxd.dn` signs and
seals the same way with keys in the CA's HSM, and `lanhdao.syt`'s SIM signs with the demo PIN,
as the README says."""

from base64 import b32decode

import pytest
from django_otp.oath import TOTP

from agencies.demo import DEMO_TOTP_SECRET, load_demo
from certificates.models import Certificate
from certificates.signing import personal_signing_certificate, seal_certificate
from devices.choices import DeviceKind
from devices.models import RemoteCredential
from devices.services import DEMO_PIN
from remote_signing import gateway, services
from remote_signing.choices import MobileState
from remote_signing.demo import (
    DEMO_SIM_PHONES,
    demo_remote_head,
    demo_remote_holder,
    demo_sim_head,
)
from remote_signing.models import MobileSignature
from tests.remote_signing.world import SHA256, digest_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ca")]


def test_the_demo_holder_signs_with_the_documented_pin_and_the_published_secret():
    load_demo()
    credential = demo_remote_holder()
    holder = credential.device.holder.user
    hashes = [digest_of("Tài liệu trình diễn")]
    code = f"{TOTP(b32decode(DEMO_TOTP_SECRET)).token():06d}"

    token = services.signature_authorize(
        credential=credential, hashes=hashes, hash_algorithm=SHA256, pin=DEMO_PIN, otp=code,
        by=holder,
    )  # fmt: skip

    assert holder.username == "thuebao"
    assert len(services.hashes_sign(
        credential=credential, token=token, hashes=hashes, hash_algorithm=SHA256, by=holder
    )) == 1  # fmt: skip
    assert demo_remote_holder() == credential  # seeded once


def test_the_demo_sim_head_signs_on_the_phone_with_the_demo_pin(settings):
    settings.PORTAL_SUBSCRIBER_KEY_STORE = "token"  # as `make run` has it
    load_demo()
    head = demo_sim_head()
    trans_id = gateway.mss_signature(
        {"MSS_SignatureReq": {
            "AP_Info": {"AP_ID": settings.MSS_AP_ID, "AP_TransID": "demo-1"},
            "MobileUser": {"MSISDN": DEMO_SIM_PHONES[0]},
            "DataToBeSigned": {"Encoding": "base64", "Data": digest_of("Công văn trình diễn")},
            "DataToBeDisplayed": {"Data": "Ký Công văn trình diễn"},
            "SignatureProfile": {"mssURI": "urn:oid:" + SHA256},
        }},
        ap_id=settings.MSS_AP_ID,
    )["MSS_SignatureResp"]["MSSP_TransID"]  # fmt: skip

    gateway.sim_sign(transaction_id=trans_id, pin=DEMO_PIN, by=head.user)

    assert head.user.username == "lanhdao.syt"
    assert MobileSignature.objects.get(pk=trans_id).state == MobileState.SIGNED
    assert seal_certificate(head.organization).device.holder == head
    assert demo_sim_head() == head  # seeded once
    assert Certificate.objects.filter(device__holder=head).count() == 2


def test_the_demo_remote_head_signs_and_seals_with_the_demo_pin_and_published_secret():
    load_demo()
    head = demo_remote_head()
    credentials = RemoteCredential.objects.filter(device__holder=head).order_by("pk")
    signed = []
    for credential in credentials:  # each keeps its own last code: the same one serves both
        hashes = [digest_of(f"Công văn trình diễn {credential.pk}")]
        token = services.signature_authorize(
            credential=credential, hashes=hashes, hash_algorithm=SHA256, pin=DEMO_PIN,
            otp=f"{TOTP(b32decode(DEMO_TOTP_SECRET)).token():06d}", by=head.user,
        )  # fmt: skip
        signed += services.hashes_sign(
            credential=credential, token=token, hashes=hashes, hash_algorithm=SHA256,
            by=head.user,
        )  # fmt: skip

    assert head.user.username == "lanhdao.sxd.dn"
    assert len(signed) == 2
    assert personal_signing_certificate(head.user).device.kind == DeviceKind.RSSP
    assert seal_certificate(head.organization).device.kind == DeviceKind.RSSP
    assert demo_remote_head() == head  # seeded once
    assert credentials.count() == 2
