"""Celery tasks of the roof: thin, idempotent adapters around services
(docs/architecture.md §4)."""

from celery import shared_task

from dashboard.services import certificate_event_months_tally


@shared_task(name="dashboard.tasks.certificate_event_months_tally_task")
def certificate_event_months_tally_task() -> int:
    """Beat (daily): tally the statistics' ended months (docs/architecture.md §10); a rerun
    writes nothing (the tally's unique constraint)."""
    return certificate_event_months_tally()
