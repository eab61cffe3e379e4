"""The demo's signatures at the desk (docs/ca.md, "Signing at the signer's desk"): `make run`
seeds documents already signed, so something must play the signing client for the demo's
holders. `demo_desk_sign` does what the client does on a holder's computer: it signs each
round's digest inside the holder's demo token (a SoftHSM2 token whose PIN is the documented
DEMO_PIN), and hands the answer to the portal's own completion, which checks it like any
other. Only demo devices have that PIN; a real device's key and PIN never reach the server.
With the software key store (a development option that `check --deploy` rejects) the demo's
keys are the simulated CA's, and the demo signs with them instead."""

from __future__ import annotations

from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from certificates.desk.models import DeskSigning
from certificates.desk.services import DeskAnswer, digest_of
from certificates.models import DeviceKey
from certificates.services import certificate_signing_material
from devices.services import DEMO_PIN
from portal.lib import pkcs11 as p11

# A document takes two rounds (the holder, then the seal); past this a loop is a bug.
MAX_ROUNDS = 6


def _sign_digest(key, digest: bytes) -> bytes:
    """The signature the signing client returns: PKCS#1 v1.5 over the pre-hashed DigestInfo,
    or ECDSA."""
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256())))


def _signed_on_demo_device(desk: DeskSigning) -> bytes:
    certificate = desk.certificate
    digest = digest_of(desk)
    if certificate.key.store != DeviceKey.Store.TOKEN:
        material = certificate_signing_material(certificate=certificate, by=None)
        return _sign_digest(material.private_key, digest)
    token = certificate.device.token
    with p11.session(token.serial, user_pin=DEMO_PIN) as session:
        key = p11.signing_key(
            session, key_id=token.key_id_bytes, public_der=bytes(token.public_key_der)
        )
        return _sign_digest(key, digest)


def demo_desk_sign(prepare: Callable[[], DeskSigning], complete: Callable[..., object]):
    """Every round of one document: `prepare()` gives the next request, `complete(answer=…)`
    embeds its answer and returns an outcome whose `document` is set after the last round."""
    for _round in range(MAX_ROUNDS):
        desk = prepare()
        done = complete(
            answer=DeskAnswer(
                desk_signing_id=desk.pk,
                nonce=desk.nonce,
                signature=_signed_on_demo_device(desk),
                certificate_der=bytes(desk.certificate.der),
            )
        )
        if getattr(done, "document", None) is not None:
            return done
    raise RuntimeError(f"no signed document after {MAX_ROUNDS} rounds")
