"""Record a late bounce: `manage.py mail_mark_bounced "<message-id>" --reason "550 5.1.1 …" --by USERNAME`,
the Message-ID read from the delivery status notification, the administrator who read it
named in the audit trail (docs/mail.md)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from mailing.models import OutgoingMail
from mailing.services import mail_mark_bounced


class Command(BaseCommand):
    help = "Mark a sent mail bounced, by its Message-ID (from the returned notification)."

    def add_arguments(self, parser):
        parser.add_argument("message_id")
        parser.add_argument("--reason", default="bounced (delivery status notification)")
        parser.add_argument(
            "--by", metavar="USERNAME", help="the administrator recording it (audited as actor)"
        )

    def handle(self, *args, message_id: str, reason: str, by: str | None, **options):
        actor = None
        if by:
            users = get_user_model().objects
            actor = users.filter(**{get_user_model().USERNAME_FIELD: by}).first()
            if actor is None:
                raise CommandError(f"no user is named {by}")
        wanted = message_id.strip()
        if not wanted.startswith("<"):
            wanted = f"<{wanted}>"
        mail = OutgoingMail.objects.filter(message_id=wanted).first()
        if mail is None:
            raise CommandError(f"no outgoing mail has the Message-ID {wanted}")
        if not mail_mark_bounced(mail=mail, reason=reason, by=actor):
            raise CommandError(f"mail {mail.pk} is {mail.status}, not sent: nothing marked")
        self.stdout.write(f"mail {mail.pk} to {mail.recipient} marked bounced")
