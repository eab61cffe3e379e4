"""`manage.py enrolment_code_issue <username>`: a one-time enrolment code for the user's second
factor (agencies/accounts/twofactor.py `enrolment_code_issue`), printed this once; an older
unused code of the user is withdrawn. Audited with no actor (a command on the server)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from agencies.accounts.twofactor import enrolment_code_issue


class Command(BaseCommand):
    help = "Issue a one-time enrolment code for a user's second factor (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        code = enrolment_code_issue(user=user, by=None)
        self.stdout.write(
            f"Enrolment code for {username}: {code} "
            f"(once, within {settings.PORTAL_ENROLMENT_CODE_HOURS} hours)"
        )
