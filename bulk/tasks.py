"""Celery adapters: primary key in, one service call (docs/processing.md §4)."""

from celery import shared_task

from bulk import services


@shared_task(name="bulk.tasks.bulk_job_run_task")
def bulk_job_run_task(job_id: int) -> str | None:
    """Carry a bulk job out; idempotent: only pending items are taken (docs/bulk.md)."""
    job = services.bulk_job_run(job_id=job_id)
    return job.status if job is not None else None


@shared_task(name="bulk.tasks.bulk_jobs_sweep_task")
def bulk_jobs_sweep_task() -> int:
    """Beat: cancel jobs whose approval was refused, queue again jobs whose task was lost."""
    return services.bulk_jobs_sweep()
