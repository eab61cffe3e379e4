"""Sending one outgoing mail over SMTP (docs/mail.md): Django's mail backend with the
EMAIL_* settings and a short timeout, the attachments read from the documents' storage (checked
against their SHA-256), and the outcome sorted into sent, temporary failure (no answer, a 4xx
reply: tried again) and permanent failure (a 5xx reply: the server refused the mail for good)."""

import logging
import smtplib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from mailing.attachments import AttachmentRefused, attachment_make
from portal.documents import document_storage
from portal.lib.stored_files import ContentMismatch, content_read

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    permanent: bool = False
    smtp_code: int | None = None
    error: str = ""
    duration_ms: int = 0

    @property
    def code(self) -> int | None:
        return self.smtp_code


def build_message(mail, *, connection=None) -> EmailMessage:
    """The message as sent, the same at every attempt: its Message-ID kept in the row, its
    files read from the storage they were kept in when the mail was written, or made once by
    their app at the first attempt and kept (mailing/attachments.py)."""
    message = EmailMessage(
        subject=mail.subject,
        body=mail.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[mail.recipient],
        headers={"Message-ID": mail.message_id},
        connection=connection,
    )
    storage = document_storage()
    for item in mail.attachments:
        if "sha256" in item:
            data = content_read(storage, item["sha256"], extension=item["extension"])
        else:
            data = attachment_make(item)
        message.attach(item["name"], data, item["content_type"])
    return message


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _reply(exc: smtplib.SMTPException) -> tuple[int | None, str]:
    """The reply code and text an SMTP exception carries (the first refused recipient's)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        code, text = next(iter(exc.recipients.values()))
        return code, _text(text)
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code, _text(exc.smtp_error)
    return None, str(exc)


def send(mail) -> Outcome:
    """One attempt at `mail`. A 5xx reply to the sender, a recipient or the data is permanent
    (a bounce at submission), except an authentication failure (the portal's own settings,
    to be fixed: tried again); a 4xx reply, a refused connection, a timeout or a dropped
    connection is temporary. A file missing or damaged in the storage is temporary too (the
    store may be back), and says so; so is any other error (logged with its traceback). A
    file its app refuses to make any more (`AttachmentRefused`) is permanent."""
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        connection = get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT)
        message = build_message(mail, connection=connection)
        message.send()
    except (FileNotFoundError, ContentMismatch) as exc:
        return Outcome(False, error=f"attachment unreadable: {type(exc).__name__}: {exc}",
                       duration_ms=took())  # fmt: skip
    except AttachmentRefused as exc:
        return Outcome(False, permanent=True, error=f"not sent: {exc}", duration_ms=took())
    except smtplib.SMTPAuthenticationError as exc:
        code, text = _reply(exc)
        return Outcome(False, smtp_code=code, error=f"authentication failed: {code} {text}",
                       duration_ms=took())  # fmt: skip
    except smtplib.SMTPServerDisconnected as exc:
        return Outcome(False, error=f"SMTPServerDisconnected: {exc}", duration_ms=took())
    except smtplib.SMTPException as exc:
        code, text = _reply(exc)
        permanent = code is not None and 500 <= code < 600
        return Outcome(False, permanent=permanent, smtp_code=code,
                       error=f"{code or ''} {text}".strip(), duration_ms=took())  # fmt: skip
    except OSError as exc:  # refused, unreachable, timed out
        return Outcome(False, error=f"{type(exc).__name__}: {exc}", duration_ms=took())
    except Exception as exc:
        # Anything else (the object store's own errors, a header or an address the mail
        # library refuses) is a failed attempt too, recorded and tried again until the mail
        # is given up: never a mail left pending for ever by a task that died.
        logger.exception("mail %s: unexpected error while sending", mail.pk)
        return Outcome(False, error=f"{type(exc).__name__}: {exc}", duration_ms=took())
    return Outcome(True, smtp_code=250, duration_ms=took())
