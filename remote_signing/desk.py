"""The portal's own documents signed with a key in the CA's HSM (docs/remote-signing.md,
"Signing in the portal"): a desk signing request (certificates/desk) whose certificate is a
remote credential's is authorised on the portal's authorisation page instead of the signing
client's, and the document's page reads the signature back from here."""

from __future__ import annotations

import base64
from typing import NamedTuple

from django.utils import timezone

from certificates.desk.models import DeskSigning, DeskState
from certificates.desk.services import digest_of
from devices.models import RemoteCredential
from remote_signing.choices import ControlState
from remote_signing.models import SignatureAuthorization, SoleControl


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


def desk_answer(desk_signing: DeskSigning) -> RemoteAnswer | None:
    """The signature made for `desk_signing` since it was prepared, or None (not yet)."""
    credential = desk_credential(desk_signing)
    if credential is None:
        return None
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
