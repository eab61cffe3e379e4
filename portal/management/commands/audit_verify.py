from django.core.management.base import BaseCommand, CommandError

from portal.audit import audit_verify


class Command(BaseCommand):
    help = (
        "Walk the audit trail's keyed hash chain, check it against the checkpoints kept outside "
        "the database, and report the first break, if any (docs/architecture.md §6)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoints",
            metavar="FILE",
            help="checkpoint file to hold the chain to (default: AUDIT_CHECKPOINT_FILE if present)",
        )

    def handle(self, *args, **options):
        result = audit_verify(checkpoints=options["checkpoints"])
        if not result.ok:
            where = f" at seq {result.first_broken_seq}" if result.first_broken_seq else ""
            raise CommandError(f"BROKEN{where}: {result.message}")
        self.stdout.write(f"OK: {result.checked} events verified")
