from django.core.management.base import BaseCommand, CommandError

from portal.audit import audit_verify


class Command(BaseCommand):
    help = "Walk the audit trail's hash chain and report the first broken event, if any."

    def handle(self, *args, **options):
        result = audit_verify()
        if not result.ok:
            raise CommandError(f"BROKEN at seq {result.first_broken_seq}: {result.message}")
        self.stdout.write(f"OK: {result.checked} events verified")
