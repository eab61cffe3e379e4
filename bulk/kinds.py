"""What an approved bulk revocation does (docs/bulk.md, docs/approvals.md): its job, waiting
for the approval, is queued; the worker then carries it out. Registered in `BulkConfig.ready`."""

from django.urls import reverse

from agencies.choices import Role
from approvals.choices import ApprovalAction
from approvals.registry import ApprovalKind, approval_holder_register, approval_kind_register
from bulk.choices import Register
from bulk.models import BulkItem
from bulk.services import bulk_job_queue_approved, bulk_job_release


def _run(approval, requester, approver) -> str:
    return bulk_job_queue_approved(approval=approval, approver=approver)


def _url(approval) -> str:
    job_id = approval.params.get("job_id")
    return reverse("bulk:detail", args=[job_id]) if job_id else ""


def _held_certificates(ids):
    # a revocation job waiting for its approval holds its certificates: nobody revokes them
    # by another job or registration meanwhile (docs/approvals.md)
    return BulkItem.objects.awaiting_approval(Register.CERTIFICATES, ids)


def register() -> None:
    approval_holder_register("certificate", _held_certificates)
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
