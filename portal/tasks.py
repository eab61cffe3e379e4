"""Celery adapters of the ground floor (docs/architecture.md §4)."""

from celery import shared_task

from portal.imports import import_jobs_sweep


@shared_task
def import_jobs_sweep_task() -> dict[str, int]:
    """Beat: re-queue stalled import jobs, discard expired ones (docs/architecture.md §4.7)."""
    return import_jobs_sweep()
