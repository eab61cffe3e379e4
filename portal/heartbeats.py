"""Celery workers' and beat's signs of life (docs/deployment.md, "Health"): each process writes
its row every PORTAL_HEARTBEAT_SECONDS (config/heartbeats.py), and `manage.py heartbeat_check`
tells an orchestrator whether one was seen recently enough."""

import logging

from django.db import close_old_connections
from django.utils import timezone

from portal.models import ProcessHeartbeat

logger = logging.getLogger(__name__)


def heartbeat_record(*, kind: str, name: str) -> None:
    """This process is alive. Whatever fails (a database it cannot reach) is logged, never
    raised: the worker or beat goes on, and its heartbeat, missing, is what tells."""
    try:
        close_old_connections()  # one the database dropped since the last beat is opened anew
        ProcessHeartbeat.objects.update_or_create(
            name=name, defaults={"kind": kind, "seen_at": timezone.now()}
        )
    except Exception:
        logger.warning("Heartbeat of %s not recorded", name, exc_info=True)
