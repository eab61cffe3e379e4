"""Every write of the exchange (docs/exchange.md, docs/mail.md): edXML packages out and in,
status messages in, and the mail of an issued letter. Each reads and moves the letter through
the letters' own services and lifecycle."""

from exchange.services.mail import (
    letter_mail_queue,
    letter_mail_resend,
    letter_mails,
    may_resend,
    offices_without_address,
)
from exchange.services.packages import letter_edxml_export, letter_edxml_import
from exchange.services.statuses import letter_edxml_status_import, letter_edxml_status_notices

__all__ = [
    "letter_edxml_export",
    "letter_edxml_import",
    "letter_edxml_status_import",
    "letter_edxml_status_notices",
    "letter_mail_queue",
    "letter_mail_resend",
    "letter_mails",
    "may_resend",
    "offices_without_address",
]
