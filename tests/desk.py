"""Signing at the desk, as the tests do it (docs/ca.md, "Signing at the signer's desk"): the
portal's own services prepare each round and embed its answer; the TEST stands in for the
signing client and the holder's device.

The "device" is the key of the certificate the round names, as the simulated CA's store holds it
for the tests: in the software store (the suite's default) the test decrypts it with
`certificate_signing_material`; it signs the 32-byte digest exactly as the signing client signs
it with the token (RSASSA-PKCS1-v1_5 over the pre-hashed DigestInfo, or ECDSA). The signing
client itself, with SoftHSM2 tokens and PINs, is driven by tests/signing_client and
tests/browser/test_desk_signing.py."""

from __future__ import annotations

from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from certificates import services as ca_services
from certificates.desk.services import DeskAnswer, digest_of

# A document takes two rounds (head, seal); a Mẫu 08 a few more. Past this, a loop is a bug.
MAX_ROUNDS = 6


def device_signs(certificate, digest: bytes, by) -> bytes:
    """What the signing client returns: the device's signature over the 32-byte digest."""
    key = ca_services.certificate_signing_material(certificate=certificate, by=by).private_key
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256())))


def answer(desk, by, *, certificate=None, **overrides) -> DeskAnswer:
    """The page's POST to the portal after the client answered request `desk` (signed with
    `certificate`'s key, the request's own by default; `overrides`: fields to change)."""
    certificate = certificate or desk.certificate
    values = {
        "desk_signing_id": desk.pk,
        "nonce": desk.nonce,
        "signature": device_signs(certificate, digest_of(desk), by),
        "certificate_der": bytes(certificate.der),
    }
    values.update(overrides)
    return DeskAnswer(**values)


def sign_at_desk(prepare: Callable[[], object], complete: Callable[..., object], by):
    """Every round of one document: `prepare()` gives the next `DeskSigning`,
    `complete(answer=…)` embeds its answer and returns a round outcome whose `document` is set
    after the last round. Returns that last outcome."""
    for _round in range(MAX_ROUNDS):
        desk = prepare()
        done = complete(answer=answer(desk, by))
        if getattr(done, "document", None) is not None:
            return done
    raise AssertionError(f"no document after {MAX_ROUNDS} desk rounds")
