"""Writes of the outgoing mail (docs/mail.md): writing mails in the outbox in the caller's
transaction, sending them with retries, the beat's sweep, a resend and a late bounce.

`mail_queue` is called by the services of the apps above, inside the transaction of their
change: the mail commits or rolls back with it, and the unique (object, issuance, recipient,
purpose) constraint makes a second call write nothing. Sending is a task enqueued by name after
the commit; a beat sweep queues again whatever a lost message or a dead worker left behind."""

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import make_msgid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail.utils import DNS_NAME
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from mailing.choices import MailStatus
from mailing.models import OutgoingMail
from mailing.sending import send
from portal.audit import audit_record
from portal.lib.queueing import enqueue
from portal.outbox.models import ERROR_LENGTH
from portal.outbox.services import (
    outbox_attempt_record,
    outbox_claim,
    outbox_give_up,
    outbox_sweep,
)
from portal.retention import Period, retention_delete

logger = logging.getLogger(__name__)

SEND_TASK = "mailing.tasks.mail_send_task"
# what a clerk's "Gửi lại" applies to
RESENDABLE = (MailStatus.FAILED, MailStatus.BOUNCED)
INVALID_ADDRESS = "not sent: the recipient's address is not a valid e-mail address"


@dataclass(frozen=True)
class NewMail:
    """A mail to write: what it is about ("cert_request:42"), for which issuance, to whom,
    why, and what it says and carries (`attachments`: dicts name, sha256, extension,
    content_type of files already in the documents' storage, or with made_by and source
    instead of sha256 for a file made at the first attempt, mailing/attachments.py)."""

    about: str
    purpose: str
    recipient: str
    subject: str
    body: str
    issuance: str = ""
    recipient_name: str = ""
    attachments: list[dict] = field(default_factory=list)


def one_line(text: str) -> str:
    """`text` on one line: line breaks, tabs and other control characters (an agency's name
    pasted from Excel, a subject typed with a line break) become spaces, runs of spaces one.
    A header with CR or LF would be refused by the mail library at every attempt."""
    spaced = "".join(
        " " if unicodedata.category(char) in ("Cc", "Zl", "Zp") else char for char in text
    )
    return re.sub(r"\s+", " ", spaced).strip()


def _valid_address(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def mail_queue(*, mails: Sequence[NewMail]) -> list[int]:
    """Write `mails` in the caller's transaction and queue each new one after the commit;
    a mail already written (same object, issuance, recipient and purpose) is skipped. The ids
    of the mails this call wrote."""
    now = timezone.now()
    # Django's cached host name: make_msgid would otherwise ask the resolver at every call.
    domain = settings.PORTAL_MAIL_MESSAGE_ID_DOMAIN or str(DNS_NAME)
    written = []
    for new in mails:
        recipient = new.recipient.strip().lower()
        row = OutgoingMail(
            about=new.about,
            issuance=new.issuance,
            purpose=new.purpose,
            recipient=recipient,
            recipient_name=one_line(new.recipient_name)[:300],
            subject=one_line(new.subject)[:500],
            body=new.body,
            attachments=new.attachments,
            message_id=make_msgid(domain=domain),
            next_attempt_at=now,
            give_up_after=settings.PORTAL_MAIL_MAX_ATTEMPTS,
        )
        if not _valid_address(recipient):
            # Written failed, not dropped: the page shows why it was not sent (an office's
            # address to correct), and nothing is queued that could only fail.
            logger.error("mail about %s not sent: invalid address %r", new.about, recipient)
            row.status = MailStatus.FAILED
            row.failed_at = now
            row.last_error = INVALID_ADDRESS
        # ON CONFLICT DO NOTHING on the unique constraint: a repeated call writes nothing; the
        # row is this call's when its fresh Message-ID is found.
        OutgoingMail.objects.bulk_create([row], ignore_conflicts=True)
        if row.status == MailStatus.PENDING:
            written.extend(
                OutgoingMail.objects.filter(message_id=row.message_id).values_list("pk", flat=True)
            )
    if written:
        transaction.on_commit(lambda: _enqueue_sends(written))
    return written


def _enqueue_sends(mail_ids: Sequence[int]) -> None:
    for pk in mail_ids:
        if not enqueue(SEND_TASK, pk, what=f"mail {pk}"):
            return  # the broker is away: the sweep queues them again


def mail_send(*, mail_id: int) -> str:
    """One attempt at the mail if it is due: "sent", "retry", "failed", or "skipped" (sent or
    failed already, not due, or claimed by another worker). The attempt is claimed in one
    UPDATE (attempts + 1, next attempt a lease ahead) before the mail server is spoken to, so
    a redelivered task or a second worker finds it claimed and sends nothing; the result is
    recorded with the attempt's row, unique per (mail, number) (portal/outbox/services.py)."""
    mail = OutgoingMail.objects.filter(pk=mail_id).first()
    if mail is None or mail.status != MailStatus.PENDING:
        return "skipped"
    now = timezone.now()
    if mail.attempts >= mail.give_up_after:
        # Its attempts are spent without one recorded as given up (workers that died while
        # sending it): given up now, rather than tried for ever.
        reason = f"given up after {mail.attempts} attempts without an answer recorded"
        return outbox_give_up(row=mail, now=now, reason=reason)
    if not outbox_claim(row=mail, now=now):
        return "skipped"
    outcome = send(mail)
    return outbox_attempt_record(row=mail, outcome=outcome, started_at=now, on_retry=_enqueue_retry)


def _enqueue_retry(mail_id: int, wait: timedelta) -> None:
    """A short wait is queued with its countdown; a longer one is left to the sweep (Redis
    hands an unacknowledged countdown task to another worker after CELERY_VISIBILITY_TIMEOUT)."""
    if wait.total_seconds() > settings.PORTAL_MAIL_LEASE_SECONDS:
        return
    # A little after it is due, so that it is never found early and skipped.
    enqueue(SEND_TASK, mail_id, what=f"mail retry {mail_id}", countdown=wait.total_seconds() + 0.2)


def mail_sweep(*, now: datetime | None = None, limit: int = 10_000) -> int:
    """Beat's safety net: queue again every pending mail overdue by more than a lease (its
    message lost with the broker, its worker dead, its retry left to the sweep), each marked
    due now so that the next sweeps leave it to that message. How many."""
    due = outbox_sweep(
        model=OutgoingMail, now=now or timezone.now(), limit=limit, on_due=_enqueue_sends
    )
    return len(due)


def mail_resend(*, mail: OutgoingMail, by) -> bool:
    """Give a mail that failed or bounced a new round of attempts starting now (a clerk's
    "Gửi lại"), with the same Message-ID; audited. False for a mail still pending (its attempts
    go on by themselves) or sent (the office has it: a resend would mail it twice)."""
    with transaction.atomic():
        locked = OutgoingMail.objects.select_for_update().get(pk=mail.pk)
        if locked.status not in RESENDABLE:
            return False
        before = {"status": locked.status, "attempts": locked.attempts}
        locked.status = MailStatus.PENDING
        locked.give_up_after = locked.attempts + settings.PORTAL_MAIL_MAX_ATTEMPTS
        locked.next_attempt_at = timezone.now()
        locked.failed_at = None
        # the page shows a pending mail with an error as a failed attempt waiting to be retried
        locked.last_error = ""
        locked.save(
            update_fields=["status", "give_up_after", "next_attempt_at", "failed_at", "last_error"]
        )
        audit_record(
            actor=by,
            action="outgoing_mail.resend",
            obj=locked,
            before=before,
            after={"status": MailStatus.PENDING},
        )
        transaction.on_commit(lambda: _enqueue_sends([locked.pk]))
    return True


def mail_mark_bounced(*, mail: OutgoingMail, reason: str, by) -> bool:
    """Record that a sent mail came back later (a delivery status notification read by an
    administrator): shown on its object, audited. False for a mail not sent."""
    with transaction.atomic():
        locked = OutgoingMail.objects.select_for_update().get(pk=mail.pk)
        if locked.status != MailStatus.SENT:
            return False
        locked.status = MailStatus.BOUNCED
        locked.failed_at = timezone.now()
        locked.last_error = reason[:ERROR_LENGTH]
        locked.save(update_fields=["status", "failed_at", "last_error"])
        audit_record(
            actor=by,
            action="outgoing_mail.bounced",
            obj=locked,
            before={"status": MailStatus.SENT},
            after={"status": MailStatus.BOUNCED},
            reason=reason,
        )
    return True


MAIL_RETENTION = Period("PORTAL_RETENTION_MAIL_DAYS", "days")


def mail_retention_sweep(*, now: datetime | None = None) -> int:
    """Delete, with their attempts, the mails sent, failed or bounced that were queued longer
    ago than PORTAL_RETENTION_MAIL_DAYS (docs/retention.md): addresses and bodies are personal
    data, and the letter or document they carried keeps its own record. A pending mail is
    never deleted. How many."""
    now = now or timezone.now()
    ended = OutgoingMail.objects.exclude(status=MailStatus.PENDING).filter(
        created_at__lt=MAIL_RETENTION.cutoff(now)
    )
    return retention_delete(queryset=ended, period=MAIL_RETENTION, now=now)
