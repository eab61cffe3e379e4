"""A remote-signing holder, as the tests meet them (docs/remote-signing.md): an RSSP credential
issued by the CA's services for a person of agency A, activated with the CA's code, and the
holder's authenticator app."""

import base64
import hashlib
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from certificates.choices import SubjectKind
from certificates.services import certificate_issue
from devices.choices import Carrier, DeviceKind
from devices.models import RemoteCredential
from devices.services import device_deliver_for_certificate, device_token_pin_reveal
from remote_signing import services
from tests import factories as f
from tests.remote_signing.authenticator import Authenticator

SHA256 = "2.16.840.1.101.3.4.2.1"
PIN = "246810"


def digest_of(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def credential_of(cast, person=None, *, seal: bool = False) -> RemoteCredential:
    """An RSSP credential held by `person` (agency A's subscriber by default): their personal
    certificate's, or with `seal` agency A's organisation certificate's (its seal)."""
    person = person or cast.subscriber
    device = device_deliver_for_certificate(
        kind=DeviceKind.RSSP, agency=cast.agency_a, holder=person, by=cast.ca_operator
    )
    if seal:
        certificate_issue(
            subject_kind=SubjectKind.ORGANIZATION, agency=cast.agency_a, device=device,
            by=cast.ca_operator,
        )  # fmt: skip
    else:
        certificate_issue(
            subject_kind=SubjectKind.PERSON, agency=cast.agency_a, person=person, device=device,
            by=cast.ca_operator,
        )  # fmt: skip
    return RemoteCredential.objects.get(device=device)


def openssl_verifies(public_key_der: bytes, digest_b64: str, signature: bytes, folder) -> bool:
    """Whether `openssl pkeyutl -verify` finds `signature` a signature of the SHA-256 digest
    by the key `public_key_der`."""
    public = serialization.load_der_public_key(bytes(public_key_der))
    Path(folder, "key.pem").write_bytes(
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    Path(folder, "digest").write_bytes(base64.b64decode(digest_b64))
    Path(folder, "signature").write_bytes(signature)
    checked = subprocess.run(
        [
            "openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "key.pem",
            "-in", "digest", "-sigfile", "signature", "-pkeyopt", "digest:sha256",
        ],
        cwd=folder, capture_output=True, text=True,
    )  # fmt: skip
    return checked.returncode == 0 and "Signature Verified Successfully" in checked.stdout


class Holder(Authenticator):
    """The holder at their phone: the authenticator app bound at activation."""

    def __init__(self, user, credential, secret: str):
        super().__init__(secret)
        self.user = user
        self.credential = credential

    def authorize(self, hashes, *, pin=PIN, otp=None, algorithm=SHA256) -> str:
        return services.signature_authorize(
            credential=self.credential, hashes=hashes, hash_algorithm=algorithm, pin=pin,
            otp=otp if otp is not None else self.code(), by=self.user,
        )  # fmt: skip

    def sign(self, token, hashes, *, algorithm=SHA256):
        return services.hashes_sign(
            credential=self.credential, token=token, hashes=hashes, hash_algorithm=algorithm,
            by=self.user,
        )  # fmt: skip


def activated(cast, person=None, *, seal: bool = False) -> Holder:
    """Agency A's subscriber (or `person`) with an RSSP credential (`credential_of`),
    activated with the CA's code."""
    person = person or cast.subscriber
    credential = credential_of(cast, person, seal=seal)
    code = services.activation_code_issue(credential=credential, by=cast.ca_operator)
    secret = services.credential_activate(credential=credential, code=code, pin=PIN, by=person.user)
    return Holder(person.user, credential, secret)


def remote_head(cast) -> tuple[Holder, Holder]:
    """Agency A's head (the account head_a) with their personal certificate and the agency's
    seal both in the CA's HSM, each activated: the head's two authenticator entries."""
    head = f.PersonFactory(
        organization=cast.agency_a, user=cast.head_a, full_name="Trần Thị Ánh Dương",
        position="Giám đốc",
    )  # fmt: skip
    return activated(cast, head), activated(cast, head, seal=True)


@pytest.fixture
def holder(cast):
    return activated(cast)


class SimHolder:
    """A SIM PKI holder (docs/remote-signing.md, "SIM PKI"): their certificate's key on the
    SIM (a SoftHSM2 token personalised by the CA) and the SIM's PIN from its envelope."""

    def __init__(self, user, device, certificate, pin: str):
        self.user, self.device, self.certificate, self.pin = user, device, certificate, pin

    @property
    def wrong_pin(self) -> str:
        return wrong_pin_for(self.pin)


def wrong_pin_for(pin: str) -> str:
    """A PIN of the same length that is not `pin`."""
    return "1" * len(pin) if pin == "0" * len(pin) else "0" * len(pin)


def sim_holder(cast, settings, person=None, *, phone="0912345678", seal=False) -> SimHolder:
    """`person` (agency A's subscriber by default) with a certificate issued onto a SIM PKI
    of number `phone` (the token store on, as in production); with `seal`, agency A's seal."""
    settings.PORTAL_SUBSCRIBER_KEY_STORE = "token"
    person = person or cast.subscriber
    device = device_deliver_for_certificate(
        kind=DeviceKind.SIM_PKI, agency=cast.agency_a, holder=person, by=cast.ca_operator,
        sim={"iccid": "8984" + phone[1:] + "000001", "phone": phone,
             "carrier": Carrier.VIETTEL},
    )  # fmt: skip
    certificate = certificate_issue(
        subject_kind=SubjectKind.ORGANIZATION if seal else SubjectKind.PERSON,
        agency=cast.agency_a, person=None if seal else person, device=device,
        by=cast.ca_operator,
    )  # fmt: skip
    pin = device_token_pin_reveal(device=device, by=cast.ca_operator)
    return SimHolder(person.user, device, certificate, pin)


def sim_head(cast, settings):
    """Agency A's head (head_a) with their personal certificate and the agency's seal each
    on a SIM PKI of their own."""
    head = f.PersonFactory(
        organization=cast.agency_a, user=cast.head_a, full_name="Lê Văn Bình",
        position="Giám đốc",
    )  # fmt: skip
    return (
        sim_holder(cast, settings, head, phone="0912000001"),
        sim_holder(cast, settings, head, phone="0912000002", seal=True),
    )
