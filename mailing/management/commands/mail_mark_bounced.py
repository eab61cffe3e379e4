"""Record a late bounce: `manage.py mail_mark_bounced "<message-id>" --reason "550 5.1.1 …"`,
the Message-ID read from the delivery status notification (docs/mail.md)."""

from django.core.management.base import BaseCommand, CommandError

from mailing.models import OutgoingMail
from mailing.services import mail_mark_bounced


class Command(BaseCommand):
    help = "Mark a sent mail bounced, by its Message-ID (from the returned notification)."

    def add_arguments(self, parser):
        parser.add_argument("message_id")
        parser.add_argument("--reason", default="bounced (delivery status notification)")

    def handle(self, *args, message_id: str, reason: str, **options):
        wanted = message_id.strip()
        if not wanted.startswith("<"):
            wanted = f"<{wanted}>"
        mail = OutgoingMail.objects.filter(message_id=wanted).first()
        if mail is None:
            raise CommandError(f"no outgoing mail has the Message-ID {wanted}")
        if not mail_mark_bounced(mail=mail, reason=reason, by=None):
            raise CommandError(f"mail {mail.pk} is {mail.status}, not sent: nothing marked")
        self.stdout.write(f"mail {mail.pk} to {mail.recipient} marked bounced")
