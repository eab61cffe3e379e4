"""Carrying an approved request out, once, as its requester (docs/approvals.md, "Runs once,
as its requester", "A run that keeps failing").

A run is two steps, each on the locked request, after a look at its lease:

0. a copy of the message that finds a live lease on the request (`portal.leases`: a run
   renews it from a heartbeat while it works) does nothing, without waiting on that run's
   lock: the run is alive, and the sweep leaves it alone too;
1. the claim counts the attempt (`run_attempts`), notes its time (`run_claimed_at`), clears
   the previous attempt's error class (`run_error`) and commits, so that an action that
   raises (its work rolled back) or a worker that dies still counts, and a worker that dies
   leaves no stale class behind; a request whose last attempt is spent fails there, with
   the class of its last attempt's error (none when its worker died), and never runs again.
   A claim that finds an earlier one younger than PORTAL_APPROVAL_RUN_STALL_SECONDS does
   nothing: that attempt is being run (a second copy of its message got the lock between
   its claim and its run) or has just failed, and the stall sweep, keyed on the claim's
   time, queues the request again once that time has passed;
2. under a lease of its own, the action runs inside a savepoint of the run's transaction,
   only while the request is still approved (a second delivery, or a second worker waiting
   on the lock, finds it done).
   A DomainError from the action fails the request with its message; any other error rolls
   the action back, keeps the error's class (never its message, which may hold personal
   data), and leaves the request approved for the stall sweep to queue again, until the last
   attempt fails it.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from approvals.choices import ApprovalStatus
from approvals.models import Approval
from approvals.registry import approval_kind
from approvals.services.common import RUN_TASK, tell, transition_record
from portal.audit import audit_record
from portal.errors import DomainError
from portal.leases import work_lease
from portal.lib.queueing import enqueue
from portal.models import WorkLease
from portal.texts import text

logger = logging.getLogger(__name__)

ERROR_CLASS_MAX = 100  # Approval.run_error's length


def _locked(approval_id: int) -> Approval | None:
    return (
        Approval.objects.select_for_update(of=("self",))
        .select_related("organization", "requested_by", "decided_by")
        .filter(pk=approval_id)
        .first()
    )


def _end(locked: Approval, status: str, step: str, outcome: str) -> None:
    """Move the locked request from approved to done or failed, with its transition row, its
    audit event (the requester as actor, both names) and the notice to both people."""
    locked.status, locked.outcome, locked.ran_at = status, outcome, timezone.now()
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
            "attempts": locked.run_attempts,
        },
        reason=locked.outcome[:500],
    )
    tell(
        [locked.requested_by, locked.decided_by],
        locked,
        text(
            gettext_noop("Đề nghị #%(pk)s (%(object)s): %(status)s. %(outcome)s"),
            pk=locked.pk,
            object=locked.object_label,
            status=ApprovalStatus(locked.status).label,
            outcome=locked.outcome,
        ),
        step,
    )


def _give_up(locked: Approval) -> None:
    """Fail the request whose last attempt is spent: its outcome names the class of that
    attempt's error only, or says its worker stopped when it left none (the claim cleared
    the class of the attempts before)."""
    error = locked.run_error or _("không rõ, tiến trình thực hiện dừng giữa chừng")
    _end(
        locked,
        ApprovalStatus.FAILED,
        "fail",
        _(
            "Thực hiện không thành công sau %(n)d lần thử: lỗi hệ thống (%(error)s). Hãy báo "
            "quản trị hệ thống; lập đề nghị mới khi đã khắc phục."
        )
        % {"n": locked.run_attempts, "error": error},
    )


def _claimed_recently(locked: Approval, now: datetime) -> bool:
    """Whether the request's last attempt was claimed less than the stall time ago: the
    sweep's own bound (`ApprovalQuerySet.run_stalled`), so a request it queues is claimed."""
    cutoff = now - timedelta(seconds=settings.PORTAL_APPROVAL_RUN_STALL_SECONDS)
    return locked.run_claimed_at is not None and locked.run_claimed_at > cutoff


def _claim(approval_id: int) -> tuple[Approval | None, bool]:
    """Count one attempt on the locked request and commit it (step 1). Returns the request
    and whether to run it: not when it is gone, no longer approved, its last attempt was
    claimed too recently (left to that attempt and the sweep), or its last attempt is spent
    (then it fails here)."""
    if WorkLease.objects.live().on(Approval, approval_id).exists():
        # A run holds it (its action may keep the request locked for minutes): this copy
        # neither waits on that lock nor counts; a dead run's lease runs out for the sweep.
        logger.info("approval %s: being run under a live lease, left to it", approval_id)
        return Approval.objects.filter(pk=approval_id).first(), False
    with transaction.atomic():
        locked = _locked(approval_id)
        if locked is None or locked.status != ApprovalStatus.APPROVED:
            return locked, False
        now = timezone.now()
        if _claimed_recently(locked, now):
            logger.info(
                "approval %s: attempt %s claimed at %s, left to it",
                locked.pk,
                locked.run_attempts,
                locked.run_claimed_at.isoformat(),
            )
            return locked, False
        if locked.run_attempts >= settings.PORTAL_APPROVAL_RUN_MAX_ATTEMPTS:
            _give_up(locked)
            return locked, False
        locked.run_attempts += 1
        locked.run_claimed_at = now
        locked.run_error = ""  # this attempt's own, once it has one (_attempt_failed)
        locked.save(update_fields=["run_attempts", "run_claimed_at", "run_error"])
    return locked, True


def _attempt_failed(locked: Approval, exc: Exception) -> None:
    """Keep the class of the error that rolled the action back, audited; fail the request
    when it was its last attempt."""
    locked.run_error = type(exc).__name__[:ERROR_CLASS_MAX]
    locked.save(update_fields=["run_error"])
    audit_record(
        actor=None,
        action="approval.attempt_failed",
        obj=locked,
        after={
            "attempt": locked.run_attempts,
            "of": settings.PORTAL_APPROVAL_RUN_MAX_ATTEMPTS,
            "error": locked.run_error,
        },
    )
    if locked.run_attempts >= settings.PORTAL_APPROVAL_RUN_MAX_ATTEMPTS:
        _give_up(locked)


def approval_run(*, approval_id: int) -> Approval | None:
    """Carry an approved request out, once (the module's two steps). Returns the request as
    it ends, None when it does not exist."""
    claimed, go = _claim(approval_id)
    if not go:
        return claimed
    # The lease, renewed from a heartbeat, tells the sweep and other copies of the message
    # that this run is working, however long its action takes (docs/processing.md §4.5).
    with work_lease(claimed), transaction.atomic():
        locked = _locked(approval_id)
        if locked is None or locked.status != ApprovalStatus.APPROVED:
            return locked  # carried out by another delivery since the claim
        kind = approval_kind(locked.action, locked.object_key)
        try:
            with transaction.atomic():
                outcome = kind.run(locked, locked.requested_by, locked.decided_by)
        except DomainError as exc:
            _end(locked, ApprovalStatus.FAILED, "fail", exc.message)
        except Exception as exc:  # noqa: BLE001 - any error of an action: counted, kept by class
            logger.error(
                "approval %s: attempt %s of its run failed",
                locked.pk,
                locked.run_attempts,
                exc_info=exc,
            )
            _attempt_failed(locked, exc)
        else:
            _end(locked, ApprovalStatus.DONE, "run", outcome or "")
    return locked


def approvals_resume_stalled(*, now=None) -> int:
    """Queue again every approved request not carried out in time: its task lost with a
    worker or a broker, its worker dead, or its action raised, PORTAL_APPROVAL_RUN_STALL_SECONDS
    after its last claim (after its approval when never claimed), so a backlog of copies never
    spends its attempts back to back. `approval_run` does nothing for one already done, and
    fails one whose last attempt is spent."""
    now = now or timezone.now()
    pks = list(
        Approval.objects.run_stalled(now, settings.PORTAL_APPROVAL_RUN_STALL_SECONDS).values_list(
            "pk", flat=True
        )[:1000]
    )
    for pk in pks:
        enqueue(RUN_TASK, pk, what=f"approval {pk}")
    return len(pks)
