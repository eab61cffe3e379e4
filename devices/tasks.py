"""Celery tasks of the devices app: thin, idempotent adapters around services
(docs/architecture.md §4)."""

from celery import shared_task

from devices.services import return_obligation_notify_overdue


@shared_task
def return_obligation_notify_overdue_task() -> int:
    """Periodic: tell agencies about return obligations that became overdue (once each)."""
    return return_obligation_notify_overdue()
