"""Celery adapters: primary key in, one service call (docs/processing.md §4)."""

from celery import shared_task

from orgmerge.services import merger_plan_resume_stalled, merger_plan_run_apply


@shared_task
def merger_plan_apply_task(plan_id: int) -> int | None:
    """Apply a plan; idempotent: one application per plan (a unique constraint)."""
    application = merger_plan_run_apply(plan_id=plan_id)
    return application.pk if application is not None else None


@shared_task
def merger_plan_resume_stalled_task() -> int:
    """Beat: queue again the plans whose apply task was lost."""
    return merger_plan_resume_stalled()
