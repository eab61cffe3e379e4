"""A PAdES B-T signature made as the desk makes it (docs/ca.md, "Signing at the signer's
desk"), for the tests: the portal's two halves of an interrupted signature around the key's
signature, with a token of the portal's TSA over the signature value, and none of the desk's
checks of the certificate (a token signs what it is asked, revoked or not)."""

from __future__ import annotations

import secrets

from asn1crypto import tsp

from certificates.desk.pdf import finish_pdf, prepare_pdf, signature_imprint
from certificates.desk.services import chain_der
from certificates.services.timestamps import timestamp_respond
from certificates.signing import Appearance, signature_position
from tests.desk import device_signs


def portal_timestamp(signature: bytes):
    """A token of the portal's TSA over `signature` (RFC 3161, as the desk asks for it)."""
    request = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": signature_imprint(signature),
            },
            "nonce": int.from_bytes(secrets.token_bytes(8), "big"),
            "cert_req": True,
        }
    )
    reply = timestamp_respond(request_der=request.dump())
    assert reply.granted, reply.failure
    return tsp.TimeStampResp.load(reply.der)["time_stamp_token"]


def sign_timestamped(pdf: bytes, certificate, by, *, field_name="ChuKy") -> bytes:
    """`pdf` signed with `certificate`'s key, time-stamped by the portal's TSA (B-T)."""
    certificate_der, chain = bytes(certificate.der), chain_der(certificate)
    prepared = prepare_pdf(
        pdf,
        certificate_der=certificate_der,
        chain_der=chain,
        field_name=field_name,
        appearance=Appearance.signature(
            signature_position(pdf), signer_name="Người ký", title="Chức vụ", agency="Cơ quan"
        ),
    )
    signature = device_signs(certificate, prepared.digest, by)
    return finish_pdf(
        prepared,
        certificate_der=certificate_der,
        chain_der=chain,
        signature=signature,
        timestamp=portal_timestamp(signature),
    )
