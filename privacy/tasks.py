"""Celery adapters: one service call each (docs/processing.md §4)."""

from celery import shared_task

from privacy.services import incident_deadlines_remind


@shared_task
def incident_deadlines_remind_task() -> int:
    """Beat: remind the data protection officers of incidents whose 72 hours run out, and of
    those overdue; idempotent (keyed notifications)."""
    return incident_deadlines_remind()
