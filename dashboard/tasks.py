"""Celery tasks of the roof: thin, idempotent adapters around services
(docs/processing.md §4)."""

from celery import shared_task

from dashboard.monitor_rollups import (
    idle_certificates_refresh,
    signing_bursts_check,
    signing_months_roll_up,
)
from dashboard.services import certificate_event_months_tally


@shared_task(name="dashboard.tasks.certificate_event_months_tally_task")
def certificate_event_months_tally_task() -> int:
    """Beat (daily): tally the statistics' ended months (docs/statistics.md §10); a rerun
    writes nothing (the tally's unique constraint)."""
    return certificate_event_months_tally()


@shared_task(name="dashboard.tasks.signing_monitor_roll_up_task")
def signing_monitor_roll_up_task() -> int:
    """Beat (hourly): the signing monitor's monthly rollups (docs/architecture.md §13); a
    rerun upserts the same rows (their unique constraints)."""
    return len(signing_months_roll_up())


@shared_task(name="dashboard.tasks.idle_certificates_refresh_task")
def idle_certificates_refresh_task() -> int:
    """Beat (daily): the certificates idle for 90 days, rewritten whole (§13)."""
    return idle_certificates_refresh()


@shared_task(name="dashboard.tasks.signing_bursts_check_task")
def signing_bursts_check_task() -> int:
    """Beat (every ten minutes): today's bursts and night signatures, one alert per
    certificate and day (§13)."""
    return signing_bursts_check()
