"""The demo's remote-signing holder (remote_signing/demo.py): `thuebao` signs with the
documented demo PIN and a code of the published authenticator secret, as the README says."""

from base64 import b32decode

import pytest
from django_otp.oath import TOTP

from agencies.demo import DEMO_TOTP_SECRET, load_demo
from devices.services import DEMO_PIN
from remote_signing import services
from remote_signing.demo import demo_remote_holder
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
