from django.core.management.base import BaseCommand, CommandError

from privacy.access import access_verify
from privacy.models import Access


class Command(BaseCommand):
    help = (
        "Check every access of the personal-data access log against its audit event and every "
        "such event against its access; print each problem and exit 1 if there is any "
        "(docs/privacy.md, access log)."
    )

    def handle(self, *args, **options):
        problems = access_verify()
        if problems:
            for problem in problems:
                self.stdout.write(f"PROBLEM {problem.line()}")
            raise CommandError(f"BROKEN: {len(problems)} problem(s) in the access log")
        self.stdout.write(f"OK: {Access.objects.count()} accesses verified")
