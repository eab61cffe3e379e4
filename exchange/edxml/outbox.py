"""The status messages a received letter's moves produce (docs/exchange.md, "edXML
packages"): written by `workflow.move` in the move's transaction, kept in `EdxmlMessage`
for the exchange axis (or a download) to carry back to the sender."""

import hashlib

from django.utils import timezone

from exchange.edxml import messages as m
from exchange.edxml.signer import status_signature
from exchange.models import EdxmlMessage
from portal.audit import audit_record
from requests_app.models import CertRequest

# The moves of a received letter that its sender is told of, and the code each sends.
MOVE_CODES = {
    "process": m.IN_PROCESS,
    "complete": m.DONE,
    "return": m.RETURNED,
    "refuse": m.RETURNED,
}


def received_package(letter: CertRequest) -> EdxmlMessage | None:
    return EdxmlMessage.objects.filter(
        letter=letter, direction=EdxmlMessage.Direction.RECEIVED, kind=EdxmlMessage.Kind.LETTER
    ).first()


def status_record(
    letter: CertRequest, *, code: str, by=None, note: str = "", package: EdxmlMessage | None = None
) -> EdxmlMessage | None:
    """The status message `code` about the received `letter`, written once (a second one of
    the same code is not made); None for a letter that did not come as a package."""
    package = package or received_package(letter)
    if package is None:
        return None
    existing = EdxmlMessage.objects.filter(
        direction=EdxmlMessage.Direction.SENT,
        kind=EdxmlMessage.Kind.STATUS,
        document_id=package.document_id,
        status_code=code,
    ).first()
    if existing is not None:
        return existing
    receiver = package.parties.get("receiver", {})
    person = getattr(by, "person", None) if by is not None else None
    data = m.status_xml(
        m.StatusMessage(
            document_id=package.document_id,
            letter_sender_code=package.parties["sender"],
            letter_code=letter.number,
            promulgated_on=letter.issued_on,
            sender=m.Organ(code=receiver.get("code", ""), name=receiver.get("name", "")),
            code=code,
            description=note[:1000],
            at=timezone.now(),
            department=receiver.get("name", ""),
            staff=(getattr(person, "full_name", "") or (by.get_username() if by else ""))[:255],
        ),
        sign=status_signature,
    )
    message = EdxmlMessage.objects.create(
        letter=letter,
        direction=EdxmlMessage.Direction.SENT,
        kind=EdxmlMessage.Kind.STATUS,
        document_id=package.document_id,
        status_code=code,
        parties={"sender": receiver.get("code", ""), "signed": m.is_signed(data)},
        content=data,
        sha256=hashlib.sha256(data).hexdigest(),
        created_by=by,
    )
    audit_record(
        actor=by,
        action="cert_request.edxml_status_sent",
        obj=letter,
        after={"document_id": package.document_id, "status_code": code},
        reason=note,
    )
    return message


def status_after_move(letter: CertRequest, name: str, *, by=None, note: str = "") -> None:
    """The move `name` of a letter: its status message, when it came as a package."""
    code = MOVE_CODES.get(name)
    if code is not None:
        status_record(letter, code=code, by=by, note=note)
