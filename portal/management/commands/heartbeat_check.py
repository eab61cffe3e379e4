from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from portal.models import ProcessHeartbeat


class Command(BaseCommand):
    help = (
        "Exit 0 when a Celery worker (or beat) wrote its heartbeat recently enough, 1 otherwise: "
        "for an orchestrator's health check of the worker and beat processes "
        '(docs/deployment.md, "Health").'
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=ProcessHeartbeat.Kind.values)
        parser.add_argument(
            "--within",
            type=int,
            metavar="SECONDS",
            help="how recent the heartbeat must be (default: 3 × PORTAL_HEARTBEAT_SECONDS)",
        )
        parser.add_argument(
            "--name",
            default="",
            help="this process only: a worker's node name (celery@host) or beat@host",
        )

    def handle(self, *args, kind, within, name, **options):
        within = within or 3 * settings.PORTAL_HEARTBEAT_SECONDS
        try:
            seen = list(ProcessHeartbeat.objects.seen(kind, within=within, name=name))
        except DatabaseError as error:
            raise CommandError(f"database unavailable: {error}") from error
        if not seen:
            who = name or f"no {kind}"
            raise CommandError(f"{who}: no heartbeat in the last {within} s")
        for process in seen:
            self.stdout.write(f"OK: {process}")
