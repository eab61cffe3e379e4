"""The edXML status messages that flow back about a letter we sent (docs/exchange.md, "Status
messages" and "Signed status messages"): recorded on the sender's letter, and acted on (a
"done" ends it, a "returned" sends it back) only when signed by the receiving organisation."""

import hashlib
from datetime import datetime, time

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.models import Organization
from certificates.signing.detached import verify_detached
from exchange.edxml import messages as m
from exchange.models import EdxmlMessage
from exchange.services.packages import letter_of_document_id, receivers_of
from portal.audit import audit_record
from requests_app import notify
from requests_app.choices import Outcome, Status
from requests_app.documents import TO_PROVINCE
from requests_app.models import CertRequest
from requests_app.workflow import lock, move

# What each status code says, as shown on the sender's letter beside the receiver's note.
STATUS_LABELS = {
    m.RECEIVED: gettext_lazy("đã tiếp nhận"),
    m.RETURNED: gettext_lazy("trả lại"),
    m.ASSIGNED: gettext_lazy("đã phân công"),
    m.IN_PROCESS: gettext_lazy("đang xử lý"),
    m.DONE: gettext_lazy("đã xử lý xong"),
}

# What an authenticated status message does to the sender's letter: its lifecycle move.
STATUS_MOVES = {m.DONE: "exchange_done", m.RETURNED: "exchange_return"}


def _refuse(message: str, code: str):
    raise m.EdxmlError(message, code=code)


def _issued_at(letter: CertRequest) -> datetime | None:
    """The start of the letter's issue day: no status about it can be signed earlier."""
    if letter.issued_on is None:
        return None
    return timezone.make_aware(datetime.combine(letter.issued_on, time.min))


def _status_signer(status: m.StatusMessage, sender: Organization, letter) -> dict | None:
    """Who signed the status message for `sender` (None when it came unsigned); a signature
    that is not valid, or not the sender's, refuses the message."""
    if not status.signature:
        return None
    report = verify_detached(
        status.signed_content, status.signature, organization=sender, earliest=_issued_at(letter)
    )
    if not report.ok:
        _refuse(
            _("Chữ ký số của thông điệp trạng thái không hợp lệ: %(why)s")
            % {"why": "; ".join(report.problems)},
            "edxml_status_bad_signature",
        )
    return {"name": report.signer_name[:255], "serial": report.signer_serial}


def _processor_of(letter: CertRequest, receivers: list[Organization]) -> Organization:
    """The receiver that processes the letter: the Sở KH&CN for what it handles itself
    (docs/domain.md §4), the CA otherwise (the last of `receivers_of`)."""
    if letter.form in TO_PROVINCE or letter.processed_by_province:
        return receivers[0]
    return receivers[-1]


def _act_on(letter: CertRequest, status: m.StatusMessage, sender, *, by, note: str) -> str:
    """The move an authenticated message makes, if the letter is where it may make it: a
    "done" only from the organisation that processes the letter, a "returned" from any of
    its receivers. Returns the move's name, or "" when the message is only recorded."""
    name = STATUS_MOVES.get(status.code)
    if name is None or letter.status not in (Status.PROVINCE_REVIEW, Status.FORWARDED):
        return ""
    if status.code == m.DONE:
        if sender != _processor_of(letter, receivers_of(letter)):
            return ""
        move(letter, name, by=by, note=note, done_at=timezone.now())
        letter.rows.update(is_open=False)
    else:
        move(letter, name, by=by, note=note, due_on=None)
        # a row stopped by a lost device stays stopped (docs/domain.md §3.8)
        letter.rows.exclude(outcome=Outcome.STOPPED).update(
            outcome=Outcome.PENDING, outcome_note="", is_open=True
        )
    return name


def letter_edxml_status_import(*, data: bytes, by) -> EdxmlMessage:
    """Take a status message about a letter we sent. Signed by a seal or system certificate
    of the receiving organisation (valid, in the registry, not revoked), it is authenticated
    and acted on (`_act_on`). Unsigned, it is only recorded as the receiver's unauthenticated
    word (anyone who can see the letter and upload could write it); the same code signed,
    arriving later, still acts. A signature that is not valid refuses the message. A message
    from an organisation the letter did not go to is refused."""
    status = m.read_status(data)
    letter = letter_of_document_id(status.document_id)
    if letter is None or not CertRequest.objects.visible_to(by).filter(pk=letter.pk).exists():
        _refuse(
            _("Không tìm thấy văn bản đã gửi có mã “%(id)s”.") % {"id": status.document_id},
            "edxml_unknown_letter",
        )
    sender = Organization.objects.by_code(status.sender.code)
    if sender is None or sender not in receivers_of(letter):
        _refuse(
            _("Cơ quan “%(code)s” không phải nơi nhận của văn bản này.")
            % {"code": status.sender.code},
            "edxml_not_receiver",
        )
    signer = _status_signer(status, sender, letter)
    note = (status.description or "")[:1000]
    parties = {
        "sender": status.sender.code,
        "name": sender.name[:255],
        "description": note,
        "authenticated": signer is not None,
        "signer": signer,
    }
    with transaction.atomic():
        locked = lock(letter)
        message = (
            EdxmlMessage.objects.select_for_update()
            .filter(
                direction=EdxmlMessage.Direction.RECEIVED,
                kind=EdxmlMessage.Kind.STATUS,
                document_id=status.document_id,
                status_code=status.code,
            )
            .first()
        )
        if message is not None and (signer is None or message.parties.get("authenticated")):
            return message  # taken already: as it was, or signed then
        if message is None:
            message = EdxmlMessage(
                letter=locked,
                direction=EdxmlMessage.Direction.RECEIVED,
                kind=EdxmlMessage.Kind.STATUS,
                document_id=status.document_id,
                status_code=status.code,
                created_by=by,
            )
        # New, or the receiver's signed word for a code first recorded unsigned (perhaps
        # written by someone else): the signed one stands.
        message.parties = parties
        message.sha256 = hashlib.sha256(data).hexdigest()
        message.save()
        moved = _act_on(locked, status, sender, by=by, note=note) if signer else ""
        audit_record(
            actor=by,
            action="cert_request.edxml_status",
            obj=locked,
            after={
                "document_id": status.document_id,
                "status_code": status.code,
                "from": status.sender.code,
                "authenticated": signer is not None,
                "signer": signer,
                "move": moved,
                "status": locked.status,
            },
            reason=note,
        )
    if moved:
        notify.outcome_to_clerk(locked, note=note, action=moved)
    return message


def letter_edxml_status_notices(cert_request: CertRequest) -> list[dict]:
    """The status messages received about a letter we sent, oldest first, each as the line
    the letter page shows: whose word it is, who signed it (or that it is not authenticated),
    and what it says."""
    notices = []
    for message in cert_request.edxml_messages.filter(
        direction=EdxmlMessage.Direction.RECEIVED, kind=EdxmlMessage.Kind.STATUS
    ).defer("content"):
        parties = message.parties or {}
        what = str(STATUS_LABELS.get(message.status_code, message.status_code))
        if parties.get("description"):
            what = f"{what}: {parties['description']}"
        org = parties.get("name") or parties.get("sender", "")
        if parties.get("authenticated"):
            text = _("Thông báo của %(org)s (ký số bởi %(signer)s): %(what)s") % {
                "org": org,
                "signer": (parties.get("signer") or {}).get("name", ""),
                "what": what,
            }
        else:
            text = _("Theo thông báo của %(org)s (chưa xác thực): %(what)s") % {
                "org": org,
                "what": what,
            }
        notices.append(
            {
                "at": message.created_at,
                "code": message.status_code,
                "authenticated": bool(parties.get("authenticated")),
                "text": text,
            }
        )
    return notices
