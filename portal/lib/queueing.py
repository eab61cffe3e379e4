"""Queueing a task whose intent the database already holds (docs/processing.md §4.5–§4.6):
the row that says what must be done is committed first, then the task is sent. When the broker
cannot be reached the send is given up after one short retry and logged; a beat sweep finds
the row and queues it again, so nobody has to click anything."""

import logging

from celery import current_app

logger = logging.getLogger(__name__)

RETRY_POLICY = {"max_retries": 1, "interval_start": 0.2, "interval_max": 0.5}


def enqueue(name: str, *args, what: str, countdown: float | None = None) -> bool:
    """Send the task registered under `name` with `args` (`countdown`: not before that many
    seconds); False (logged, naming `what`) when the broker cannot be reached. By name, so a service never imports its task module: the
    task imports the service, never the other way (docs/architecture.md §1)."""
    try:
        current_app.send_task(
            name, args=args, countdown=countdown, retry=True, retry_policy=RETRY_POLICY
        )
    except Exception:  # the broker's client raises many kinds: any of them means "not queued"
        logger.warning("%s not queued: broker unreachable", what)
        return False
    return True
