"""Celery adapters: one service call each (docs/processing.md §4)."""

from celery import shared_task

from privacy.access import access_log_check
from privacy.services import incident_deadlines_remind


@shared_task
def incident_deadlines_remind_task() -> int:
    """Beat: remind the data protection officers of incidents whose 72 hours run out, and of
    those overdue; idempotent (keyed notifications)."""
    return incident_deadlines_remind()


@shared_task
def access_log_check_task() -> int:
    """Beat, nightly: the access log checked against the audit trail; the data protection
    officers told of any problem, once a day per set of problems. Returns the number found."""
    return len(access_log_check())
