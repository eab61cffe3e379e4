"""Carrying an approved request out, once, as its requester (docs/approvals.md)."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.choices import ApprovalStatus
from approvals.models import Approval
from approvals.registry import approval_kind
from approvals.services.common import RUN_TASK, tell, transition_record
from portal.audit import audit_record
from portal.errors import DomainError
from portal.lib.queueing import enqueue


def approval_run(*, approval_id: int) -> Approval | None:
    """Carry an approved request out, once: under its lock, only while approved; the kind's
    action runs as the requester in the same transaction, so a second delivery (or a second
    worker waiting on the lock) finds it done and does nothing. A DomainError from the action
    fails the request with its message and leaves everything else as it was."""
    with transaction.atomic():
        locked = (
            Approval.objects.select_for_update(of=("self",))
            .select_related("organization", "requested_by", "decided_by")
            .filter(pk=approval_id)
            .first()
        )
        if locked is None or locked.status != ApprovalStatus.APPROVED:
            return locked
        kind = approval_kind(locked.action, locked.object_key)
        try:
            with transaction.atomic():
                outcome = kind.run(locked, locked.requested_by, locked.decided_by)
            status, step = ApprovalStatus.DONE, "run"
        except DomainError as exc:
            outcome, status, step = exc.message, ApprovalStatus.FAILED, "fail"
        locked.status, locked.outcome, locked.ran_at = status, outcome or "", timezone.now()
        locked.save(update_fields=["status", "outcome", "ran_at"])
        transition_record(locked, ApprovalStatus.APPROVED, step, by=None, note=locked.outcome)
        audit_record(
            actor=locked.requested_by,
            action=f"approval.{step}",
            obj=locked,
            before={"status": ApprovalStatus.APPROVED},
            after={
                "status": status,
                "action": locked.action,
                "object": locked.object_key,
                "requested_by": locked.requested_by.get_username(),
                "approved_by": locked.decided_by.get_username(),
            },
            reason=locked.outcome[:500],
        )
        tell(
            [locked.requested_by, locked.decided_by],
            locked,
            _("Đề nghị #%(pk)s (%(object)s): %(status)s. %(outcome)s")
            % {
                "pk": locked.pk,
                "object": locked.object_label,
                "status": locked.get_status_display(),
                "outcome": locked.outcome,
            },
            step,
        )
    return locked


def approvals_resume_stalled(*, now=None) -> int:
    """Queue again every approved request not carried out in time (its task lost with a
    worker or a broker); `approval_run` does nothing for one already done."""
    now = now or timezone.now()
    pks = list(
        Approval.objects.run_stalled(now, settings.PORTAL_APPROVAL_RUN_STALL_SECONDS).values_list(
            "pk", flat=True
        )[:1000]
    )
    for pk in pks:
        enqueue(RUN_TASK, pk, what=f"approval {pk}")
    return len(pks)
