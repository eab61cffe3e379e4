"""A PAdES B-T signature made as the desk makes it (docs/ca.md, "Signing at the signer's
desk"), for the tests: the portal's two halves of an interrupted signature around the key's
signature, with a token of the portal's TSA over the signature value, and none of the desk's
checks of the certificate (a token signs what it is asked, revoked or not)."""

from __future__ import annotations

import queue
import secrets
import threading
from io import BytesIO

from asn1crypto import tsp
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.signers.pdf_signer import PdfTimeStamper
from pyhanko.sign.timestamps.api import TimeStamper

from certificates.desk.pdf import finish_pdf, prepare_pdf, signature_imprint
from certificates.desk.services import chain_der
from certificates.services.timestamps import timestamp_respond
from certificates.signing import Appearance, signature_position
from certificates.signing.context import validation_context, validation_material
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


class PortalTimeStamper(TimeStamper):
    """pyHanko's time-stamp client, answered by the portal's TSA on the test's own thread (the
    TSA writes to the database, which pyHanko's event loop must not touch): each request goes
    out through `requests`, its answer comes back through `replies`."""

    def __init__(self, requests: queue.Queue, replies: queue.Queue):
        super().__init__()
        self._requests, self._replies = requests, replies

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        self._requests.put(req.dump())
        return tsp.TimeStampResp.load(self._replies.get(timeout=60))


def document_timestamped(pdf: bytes) -> bytes:
    """`pdf` with a document time-stamp of the portal's TSA (PAdES B-LTA's archive time-stamp)
    and the TSA's validation data in a DSS, as pyHanko adds them: pyHanko runs on a thread of
    its own while this one answers its time-stamp requests."""
    context = validation_context(validation_material())
    requests: queue.Queue = queue.Queue()
    replies: queue.Queue = queue.Queue()
    result: dict = {}

    def stamp() -> None:
        try:
            writer = IncrementalPdfFileWriter(BytesIO(pdf))
            stamper = PdfTimeStamper(PortalTimeStamper(requests, replies))
            output = stamper.timestamp_pdf(writer, "sha256", validation_context=context)
            result["pdf"] = output.getvalue()
        except BaseException as exc:  # re-raised on the test's thread
            result["error"] = exc
        finally:
            requests.put(None)

    thread = threading.Thread(target=stamp)
    thread.start()
    while (request_der := requests.get(timeout=60)) is not None:
        reply = timestamp_respond(request_der=request_der)
        assert reply.granted, reply.failure
        replies.put(reply.der)
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["pdf"]
