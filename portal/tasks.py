"""Celery tasks of the ground floor: thin, idempotent adapters around services
(docs/processing.md §4)."""

from celery import shared_task

from portal.audit import audit_checkpoint
from portal.export_jobs.service import export_job_run, export_jobs_sweep
from portal.imports import import_jobs_sweep
from portal.notifications import daily_digest_send
from portal.retention import portal_retention_sweep


@shared_task(name="portal.tasks.audit_checkpoint_task")
def audit_checkpoint_task() -> int | None:
    """Periodic: append the audit chain's head to the checkpoint file (and e-mail it).

    Idempotent: with the head unchanged since the last checkpoint, nothing new is written.
    Returns the seq checkpointed, or None when nothing was written.
    """
    checkpoint = audit_checkpoint()
    return checkpoint.seq if checkpoint else None


@shared_task
def import_jobs_sweep_task() -> dict[str, int]:
    """Beat: re-queue stalled import jobs, discard expired ones (docs/processing.md §4.7)."""
    return import_jobs_sweep()


@shared_task(name="portal.tasks.export_job_build_task")
def export_job_build_task(job_id: int) -> str:
    """Build an export job's file (docs/scale.md §12.5). Idempotent: only a queued job
    is claimed, and only its current claim records the outcome."""
    return export_job_run(job_id=job_id)


@shared_task(name="portal.tasks.export_jobs_sweep_task")
def export_jobs_sweep_task() -> dict[str, int]:
    """Beat: re-queue stalled export jobs, expire old ones with their files, delete files no
    job holds (docs/scale.md §12.5)."""
    return export_jobs_sweep()


@shared_task(name="portal.tasks.daily_digest_task")
def daily_digest_task() -> int:
    """Beat, once a day: one e-mail per user who asked for the digest; idempotent per user and
    day (DigestSent's constraint), so a redelivery sends nothing again."""
    return daily_digest_send()


@shared_task(name="portal.tasks.retention_sweep_task")
def retention_sweep_task() -> dict[str, int]:
    """Daily: delete expired sessions and import and export jobs past their retention period
    (docs/retention.md); idempotent, a second run deletes nothing more."""
    return portal_retention_sweep()
