"""The portal's own documents signed with a key in the CA's HSM or on a SIM PKI
(docs/remote-signing.md, "Signing in the portal" and "SIM PKI"): a desk signing request
(certificates/desk) whose certificate is a remote credential's is authorised on the portal's
authorisation page instead of the signing client's; one whose certificate is on a SIM is sent to
the SIM through the carrier's gateway, the portal acting as its application provider. The
document's page reads the signature back from here."""

from __future__ import annotations

import base64
import json
from typing import NamedTuple

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates.desk.models import DeskSigning, DeskState
from certificates.desk.services import digest_of
from devices.choices import DeviceKind, TokenState
from devices.models import Device, DeviceToken, RemoteCredential
from remote_signing import gateway
from remote_signing.choices import ControlState
from remote_signing.models import SignatureAuthorization, SoleControl
from remote_signing.rules import SHA256


class RemoteAnswer(NamedTuple):
    """What the signing client would have answered for a desk signing request: the signature
    over its digest and the certificate that made it (the page adds the request's nonce)."""

    desk_signing_id: str
    signature: bytes
    certificate_der: bytes


def desk_credential(desk_signing: DeskSigning) -> RemoteCredential | None:
    """The remote credential holding the key of the certificate `desk_signing` must be signed
    with, or None when that key is on a token at the signer's desk."""
    return RemoteCredential.objects.issued_for(desk_signing.certificate).first()


def desk_open(desk_signing: DeskSigning) -> bool:
    """Whether the request still takes a signature: pending and before its deadline."""
    return desk_signing.state == DeskState.PENDING and desk_signing.expires_at > timezone.now()


def desk_digest_b64(desk_signing: DeskSigning) -> str:
    return base64.b64encode(digest_of(desk_signing)).decode("ascii")


def desk_sim(desk_signing: DeskSigning) -> Device | None:
    """The SIM PKI holding the key of the certificate `desk_signing` must be signed with (its
    token personalised), or None."""
    device = desk_signing.certificate.device
    if device is None or device.kind != DeviceKind.SIM_PKI:
        return None
    on_sim = DeviceToken.objects.filter(device=device, state=TokenState.PERSONALISED).exists()
    return device if on_sim else None


def desk_display(desk_signing: DeskSigning, short_hash: str) -> str:
    """What the phone shows with the hash: the document, its number and the hash's start."""
    text = _("Ký %(title)s số %(number)s. Mã băm: %(hash)s") % {
        "title": desk_signing.title or _("văn bản"),
        "number": desk_signing.document_number or "—",
        "hash": short_hash,
    }
    return text[: gateway.DISPLAY_LENGTH]


def _through_the_gateway(call, message: dict) -> dict:
    """The carrier's gateway as a provider reaches it: the message as JSON on the wire, the
    portal authenticated as MSS_AP_ID (the simulated gateway runs in the portal's process)."""
    answer = call(json.loads(json.dumps(message)), ap_id=settings.MSS_AP_ID)
    return json.loads(json.dumps(answer))


def _addressed(desk_signing: DeskSigning) -> dict:
    """Who asks whom: the portal as provider, its transaction the desk request's id."""
    return {
        "AP_Info": {
            "AP_ID": settings.MSS_AP_ID,
            "AP_TransID": str(desk_signing.pk),
            "Instant": timezone.now().isoformat(),
        },
        "MSSP_Info": {"MSSP_ID": {"URI": gateway.MSSP_URI}},
    }


def desk_mobile_request(desk_signing: DeskSigning, device: Device, short_hash: str) -> dict:
    """The MSS_SignatureReq asking the SIM to sign the request's digest."""
    return {
        "MSS_SignatureReq": {
            "MajorVersion": "1",
            "MinorVersion": "1",
            **_addressed(desk_signing),
            "MobileUser": {"MSISDN": device.phone},
            "DataToBeSigned": {
                "MimeType": "application/octet-stream",
                "Encoding": "base64",
                "Data": desk_digest_b64(desk_signing),
            },
            "DataToBeDisplayed": {
                "MimeType": "text/plain",
                "Encoding": "UTF-8",
                "Data": desk_display(desk_signing, short_hash),
            },
            "SignatureProfile": {"mssURI": gateway.PROFILE_PREFIX + SHA256},
            "MSS_Format": {"mssURI": gateway.PKCS1},
            "MessagingMode": "asynchClientServer",
        }
    }


def desk_mobile_send(desk_signing: DeskSigning, device: Device, short_hash: str) -> dict:
    """Send the request to the SIM; the gateway's MSS_SignatureResp (a retry of the same
    request is answered with the first)."""
    return _through_the_gateway(
        gateway.mss_signature, desk_mobile_request(desk_signing, device, short_hash)
    )["MSS_SignatureResp"]


def desk_mobile_status(desk_signing: DeskSigning) -> dict | None:
    """The gateway's MSS_StatusResp for the request sent to the SIM, None if never sent."""
    sent = gateway.sent_for(settings.MSS_AP_ID, str(desk_signing.pk))
    if sent is None:
        return None
    return _through_the_gateway(
        gateway.mss_status,
        {
            "MSS_StatusReq": {
                "MajorVersion": "1",
                "MinorVersion": "1",
                **_addressed(desk_signing),
                "MSSP_TransID": sent,
            }
        },
    )["MSS_StatusResp"]


def status_code(answer: dict | None) -> int | None:
    """The status code of a gateway answer."""
    if answer is None:
        return None
    return int(answer["Status"]["StatusCode"]["Value"])


def mobile_answer(desk_signing: DeskSigning, status: dict | None) -> RemoteAnswer | None:
    """The SIM's signature for `desk_signing` in the gateway's MSS_StatusResp `status`, or
    None (not signed)."""
    if status_code(status) != 500:
        return None
    return RemoteAnswer(
        desk_signing_id=str(desk_signing.pk),
        signature=base64.b64decode(status["MSS_Signature"]["Base64Signature"]),
        certificate_der=bytes(desk_signing.certificate.der),
    )


def desk_answer(desk_signing: DeskSigning) -> RemoteAnswer | None:
    """The signature made for `desk_signing` since it was prepared, or None (not yet)."""
    credential = desk_credential(desk_signing)
    if credential is None:
        status = desk_mobile_status(desk_signing) if desk_sim(desk_signing) else None
        return mobile_answer(desk_signing, status)
    digest = desk_digest_b64(desk_signing)
    for signatures in SignatureAuthorization.objects.signed_since(
        credential, desk_signing.created_at
    ).values_list("signatures", flat=True):
        if digest in signatures:
            return RemoteAnswer(
                desk_signing_id=str(desk_signing.pk),
                signature=base64.b64decode(signatures[digest]),
                certificate_der=bytes(desk_signing.certificate.der),
            )
    return None


def desk_locked(desk_signing: DeskSigning) -> bool:
    """Whether the credential of `desk_signing` is locked (too many wrong PINs)."""
    credential = desk_credential(desk_signing)
    return (
        credential is not None
        and SoleControl.objects.filter(credential=credential, state=ControlState.LOCKED).exists()
    )
