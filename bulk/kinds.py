"""What an approved bulk revocation does (docs/bulk.md, docs/approvals.md): its job, waiting
for the approval, is queued; the worker then carries it out. Registered in `BulkConfig.ready`."""

from django.urls import reverse

from agencies.choices import Role
from approvals.choices import ApprovalAction
from approvals.registry import ApprovalKind, approval_kind_register
from bulk.services import bulk_job_queue_approved, bulk_job_release


def _run(approval, requester, approver) -> str:
    return bulk_job_queue_approved(approval=approval, approver=approver)


def _url(approval) -> str:
    job_id = approval.params.get("job_id")
    return reverse("bulk:detail", args=[job_id]) if job_id else ""


def register() -> None:
    for action in (ApprovalAction.REVOKE_BATCH, ApprovalAction.REVOKE_ORGANIZATION):
        approval_kind_register(
            ApprovalKind(
                action=action,
                approver_roles=(Role.CA_OPERATOR,),
                run=_run,
                url=_url,
                closed=lambda approval: bulk_job_release(approval=approval),
                object_type="bulk_job",
            )
        )
