from celery import shared_task

from approvals import services


@shared_task(name="approvals.tasks.approval_run_task")
def approval_run_task(approval_id: int) -> str | None:
    approval = services.approval_run(approval_id=approval_id)
    return approval.status if approval is not None else None


@shared_task(name="approvals.tasks.approvals_expire_due_task")
def approvals_expire_due_task() -> int:
    return services.approvals_expire_due()


@shared_task(name="approvals.tasks.approvals_resume_stalled_task")
def approvals_resume_stalled_task() -> int:
    return services.approvals_resume_stalled()
