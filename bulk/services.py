"""Writes of the bulk jobs (docs/bulk.md); what each action does is `bulk.actions`.
Confirming a job snapshots, in one INSERT … SELECT,
every row its filter finds within the requester's scope as the job's items (at most
PORTAL_BULK_MAX_ITEMS); the job then waits for a second person when the action needs one
(`approvals`) or is queued. A worker carries it out in batches of PORTAL_BULK_BATCH, each one
transaction on the locked job, its items moved from pending to done, failed or skipped with
the reason: a job killed mid-way resumes where it stopped, an item done is never taken again
(one item per object is the database's, and only pending items are taken). Every move is
decided on the locked job along `bulk.lifecycle.MOVES` and audited."""

import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from agencies.validators import nfc
from approvals.choices import ApprovalStatus
from approvals.models import Approval
from approvals.services import approval_request
from bulk.actions import action_spec, actions_for
from bulk.choices import ACTIVE_STATUSES, BulkAction, ItemStatus, JobStatus
from bulk.lifecycle import MOVES
from bulk.models import BulkItem, BulkJob
from bulk.registers import register_spec
from bulk.selection import max_items, register_rows
from bulk.selection import too_many_message as _too_many
from portal.audit import audit_record
from portal.errors import DomainError
from portal.leases import work_lease
from portal.lib.queueing import enqueue
from portal.notifications import notify
from portal.texts import text

logger = logging.getLogger(__name__)

RUN_TASK = "bulk.tasks.bulk_job_run_task"
REASON_MAX = 1000
CLOSED_APPROVAL = (
    ApprovalStatus.REJECTED,
    ApprovalStatus.EXPIRED,
    ApprovalStatus.CANCELLED,
    ApprovalStatus.FAILED,
)


def _enqueue_run(job_id: int) -> bool:
    return enqueue(RUN_TASK, job_id, what=f"bulk job {job_id}")


def _locked(job_id: int) -> BulkJob | None:
    return (
        BulkJob.objects.select_for_update(of=("self",))
        .select_related("requested_by")
        .filter(pk=job_id)
        .first()
    )


def _move(job: BulkJob, name: str, *, by, reason: str = "", **after) -> None:
    """Move the locked `job` along the table and audit it."""
    if not MOVES.can(name, job.status):
        raise DomainError(
            _("Việc hàng loạt #%(pk)s đang ở trạng thái “%(status)s”.")
            % {"pk": job.pk, "status": job.get_status_display()},
            code="stale_status",
        )
    before = job.status
    job.status = MOVES.target(name)
    audit_record(
        actor=by,
        action=f"bulk_job.{name}",
        obj=job,
        before={"status": before},
        after={"status": job.status, **after},
        reason=reason,
    )


def job_label(job: BulkJob) -> str:
    return _("Việc hàng loạt #%(pk)s: %(action)s %(n)s đối tượng") % {
        "pk": job.pk,
        "action": job.get_action_display().lower(),
        "n": job.total,
    }


def _snapshot(job: BulkJob, rows, cap: int) -> int:
    """Insert an item for every row (at most cap + 1, so that more than the cap is seen) in
    one INSERT … SELECT; the number inserted."""
    sql, params = rows.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BulkItem._meta.db_table} (job_id, object_id, status, message) "  # noqa: S608
            f"SELECT %s, s.*, %s, '' FROM ({sql} LIMIT {int(cap) + 1}) AS s",
            [job.pk, ItemStatus.PENDING, *params],
        )
        return cursor.rowcount


def bulk_job_create(
    *, register: str, query: str, action: str, params: dict | None, reason: str, by
) -> BulkJob:
    """Confirm a bulk job: its items are everything the filter finds within `by`'s scope
    (narrowed to what the action may touch: a clerk's own agencies), not only a page. The
    action's parameters are checked against them (`bulk.actions`); when the action needs a
    second person (a revocation above the approval threshold, or of an organisation's
    certificate) the job waits for the approval, otherwise it is queued at once."""
    if action not in BulkAction.values:
        raise DomainError(_("Thao tác không hợp lệ."), code="action")
    source = register_spec(register)  # a register without bulk actions is refused in words
    spec = action_spec(register, action)
    if spec is None:
        raise DomainError(_("Sổ này không có thao tác này."), code="register")
    if action not in actions_for(by, register):
        raise DomainError(
            _("Bạn không có quyền thực hiện thao tác “%(action)s” hàng loạt.")
            % {"action": BulkAction(action).label},
            code="forbidden",
        )
    reason = nfc(reason or "").strip()
    if not reason:
        raise DomainError(_("Hãy nêu lý do của thao tác hàng loạt."), code="reason")
    if len(reason) > REASON_MAX:
        raise DomainError(_("Lý do dài quá %(n)d ký tự.") % {"n": REASON_MAX}, code="reason")
    rows, kept = register_rows(register=register, query=query, user=by)
    rows = spec.restrict(rows, by)
    cap = max_items()
    with transaction.atomic():
        job = BulkJob.objects.create(
            register=register, action=action, query=kept, reason=reason, requested_by=by,
            status=JobStatus.QUEUED,
        )  # fmt: skip
        total = _snapshot(job, rows, cap)
        if total > cap:
            raise DomainError(_too_many(cap), code="too_many")
        if total == 0:
            raise DomainError(_("Bộ lọc không tìm thấy đối tượng nào."), code="empty")
        job.total = total
        # The parameters and the approval are judged on the snapshot, not on the filter read
        # again: an object changed since the INSERT … SELECT is judged as what the job will
        # act on (docs/bulk.md, "Flow" 2–3).
        chosen = source.of_items(job.items.all())
        spec.refuse_held(chosen)
        job.params = params = spec.clean_params(chosen, dict(params or {}), by)
        needs = spec.approval(chosen, total, params)
        after = {"action": action, "query": kept, "params": params, "total": total}
        audit_record(actor=by, action="bulk_job.create", obj=job, after=after, reason=reason)
        if needs:
            job.status = JobStatus.WAITING_APPROVAL
            what = spec.describe(params)
            job.approval = approval_request(
                action=needs,
                object_key=f"bulk_job:{job.pk}",
                object_label=job_label(job),
                by=by,
                reason=f"{what}. {reason}" if what else reason,
                params={"job_id": job.pk},
                count=total,
                rule_organization=spec.rule_organization(chosen, needs, total),
            )
        else:
            job.progress_at = timezone.now()
            transaction.on_commit(partial(_enqueue_run, job.pk))
        job.save(update_fields=["total", "params", "status", "approval", "progress_at"])
    return job


def bulk_job_queue_approved(*, approval: Approval, approver) -> str:
    """The approval's run (`bulk.kinds`): the job waiting for `approval` is queued, decided
    on its locked row; the worker is sent after the commit."""
    job = _locked(int(approval.params.get("job_id") or 0))
    if job is None or job.approval_id != approval.pk:
        raise DomainError(_("Không còn việc hàng loạt của đề nghị này."), code="gone")
    requester = approval.requested_by
    if job.action not in actions_for(requester, job.register):
        # the request waited: its requester may have lost the role since (the run fails,
        # the sweep then cancels the job)
        raise DomainError(
            _("Người đề nghị không còn quyền thực hiện thao tác này hàng loạt."), code="forbidden"
        )
    _move(job, "queue", by=requester, approval=approval.pk, approved_by=approver.get_username())
    job.progress_at = timezone.now()
    job.save(update_fields=["status", "progress_at"])
    transaction.on_commit(partial(_enqueue_run, job.pk))
    return _("Đã xếp hàng %(label)s.") % {"label": job_label(job)}


def _apply_outcome(job: BulkJob, pending: list[int], outcome) -> dict[str, int]:
    """Move the batch's items from pending to what the action did to each."""
    counts = {ItemStatus.DONE: 0, ItemStatus.FAILED: 0, ItemStatus.SKIPPED: 0}
    groups = dict(outcome.groups)
    left = set(pending) - outcome.ids
    if left:  # never, unless the action forgot one: say so rather than take it again
        groups[(ItemStatus.FAILED, _("Không có kết quả cho đối tượng này."))] = sorted(left)
    for (status, message), ids in groups.items():
        counts[status] += BulkItem.objects.filter(
            job=job, status=ItemStatus.PENDING, object_id__in=ids
        ).update(status=status, message=message)
    return counts


def _run_batch(job_id: int) -> bool:
    """One batch, one transaction on the locked job; False when nothing is left to do."""
    with transaction.atomic():
        job = _locked(job_id)
        if job is None or job.status != JobStatus.RUNNING:
            return False
        pending = list(
            BulkItem.objects.filter(job=job, status=ItemStatus.PENDING)
            .select_for_update()
            .order_by("object_id")
            .values_list("object_id", flat=True)[: settings.PORTAL_BULK_BATCH]
        )
        if not pending:
            return False
        outcome = action_spec(job.register, job.action).run_batch(job, pending)
        counts = _apply_outcome(job, pending, outcome)
        BulkJob.objects.filter(pk=job.pk).update(
            done_count=F("done_count") + counts[ItemStatus.DONE],
            failed_count=F("failed_count") + counts[ItemStatus.FAILED],
            skipped_count=F("skipped_count") + counts[ItemStatus.SKIPPED],
            progress_at=timezone.now(),
        )
    return True


def _finish(job_id: int, *, failure: str = "", **facts) -> BulkJob | None:
    """End the locked job: done once no item is pending, or failed with `failure` (words the
    page, the audit and the requester's notice may show; `facts`: more for the audit). The
    action's end runs either way (a revocation's CRL: a job failed after some batches has
    revoked their certificates); the job ends once, so it runs once."""
    with transaction.atomic():
        job = _locked(job_id)
        if job is None or job.status not in ACTIVE_STATUSES:
            return job
        if not failure and job.items.pending().exists():
            return job  # another run took over; it finishes
        _move(job, "fail" if failure else "finish", by=None, reason=failure,
              done=job.done_count, failed=job.failed_count, skipped=job.skipped_count,
              attempts=job.attempts, **facts)  # fmt: skip
        job.finished_at = job.progress_at = timezone.now()
        job.outcome = failure or _(
            "Đã thực hiện %(done)s, không thực hiện được %(failed)s, bỏ qua %(skipped)s."
        ) % {"done": job.done_count, "failed": job.failed_count, "skipped": job.skipped_count}
        job.save(update_fields=["status", "finished_at", "progress_at", "outcome"])
        action_spec(job.register, job.action).finish(job)
        notify(
            users=[job.requested_by],
            message=text(
                gettext_noop("%(label)s — %(outcome)s"), label=job_label(job), outcome=job.outcome
            ),
            url=reverse("bulk:detail", args=[job.pk]),
            subject=f"bulk_job:{job.pk}",
            kind="bulk",
            key=f"bulk_job:{job.pk}:end",
        )
    return job


def _give_up(job_id: int, attempts: int, error: type[BaseException] | None = None):
    """Fail a job after its last attempt: with the kind of error that ended it (its class,
    never its text, which may carry personal data: that is the log's), or as stalled when
    the last attempt left no error (a worker killed by the job, its message lost)."""
    if error is None:
        failure = _("Không thành công sau %(n)s lần thực hiện: lần cuối dừng giữa chừng.") % {
            "n": attempts
        }
        return _finish(job_id, failure=failure, error="stalled")
    failure = _("Không thành công sau %(n)s lần thực hiện: lỗi hệ thống (%(error)s).") % {
        "n": attempts,
        "error": error.__name__,
    }
    return _finish(job_id, failure=failure, error=error.__name__)


def _claim(job_id: int) -> tuple[BulkJob | None, int]:
    """A worker takes the queued job (queued → running), counting the attempt in a
    transaction of its own, so a batch that raises and is rolled back leaves it counted.
    Returns (the job, this attempt's number); 0 when there is nothing to run: the job has
    ended, or is running (another worker has it; a message delivered twice, or sent again
    while it waited in a backlog, spends no attempt: if that worker is lost, the stall sweep
    queues the job again), or has no attempt left and is failed here."""
    with transaction.atomic():
        job = _locked(job_id)
        if job is None or job.status != JobStatus.QUEUED:
            return job, 0
        if job.attempts >= settings.PORTAL_BULK_MAX_ATTEMPTS:
            return _give_up(job_id, job.attempts), 0
        _move(job, "start", by=None, attempt=job.attempts + 1)
        job.started_at = job.started_at or timezone.now()
        job.attempts += 1
        job.progress_at = timezone.now()
        job.save(update_fields=["status", "started_at", "progress_at", "attempts"])
        return job, job.attempts


def bulk_job_run(*, job_id: int, batches: int | None = None) -> BulkJob | None:
    """The worker's service: claim the job (queued → running, or resumed; an attempt
    counted), carry out its pending items batch by batch, then finish it and queue one CRL
    publication. `batches` stops after that many batches, as a killed worker would (the
    sweep resumes it). A refusal of the whole action (a DomainError) fails the job at once;
    any other error is raised for the worker's log and the sweep queues the job again, until
    its PORTAL_BULK_MAX_ATTEMPTS-th attempt fails it (docs/bulk.md, "Guarantees")."""
    job, attempt = _claim(job_id)
    if not attempt:
        return job
    taken = 0
    # The lease, renewed from a heartbeat, tells the sweep this job is being worked on
    # however long a batch takes; a killed worker's lease runs out (docs/bulk.md).
    with work_lease(job):
        try:
            while batches is None or taken < batches:
                if not _run_batch(job_id):
                    return _finish(job_id)
                taken += 1
        except DomainError as exc:  # a refusal of the whole action (its reason no longer valid)
            return _finish(job_id, failure=exc.message)
        except Exception as exc:  # a fault: its batch rolled back, the attempt stays counted
            if attempt < settings.PORTAL_BULK_MAX_ATTEMPTS:
                raise
            logger.error("bulk job %s failed at its last attempt", job_id, exc_info=exc)
            return _give_up(job_id, attempt, type(exc))
    return BulkJob.objects.filter(pk=job_id).first()


def bulk_job_release(*, approval: Approval, now=None) -> int:
    """The job waiting for `approval`, which ended without running (rejected, expired,
    withdrawn, failed), is cancelled on its locked row: nothing done, its page says why.
    Called by the approval's move itself (`bulk.kinds`) and, as a safety net, by the sweep.
    The number of jobs cancelled (0 or 1)."""
    job = _locked(int(approval.params.get("job_id") or 0))
    if job is None or job.status != JobStatus.WAITING_APPROVAL or job.approval_id != approval.pk:
        return 0
    if approval.status not in CLOSED_APPROVAL:
        return 0
    why = _("Đề nghị phê duyệt #%(pk)s: %(status)s.") % {
        "pk": approval.pk,
        "status": approval.get_status_display(),
    }
    if approval.decision_note or approval.outcome:
        why = f"{why} {approval.decision_note or approval.outcome}"
    _move(job, "cancel", by=None, reason=why)
    job.outcome, job.finished_at = why, now or timezone.now()
    job.save(update_fields=["status", "outcome", "finished_at"])
    return 1


def bulk_jobs_sweep(*, now=None) -> int:
    """Beat: a job waiting for an approval that was rejected, expired or withdrawn is
    cancelled (nothing done; its page says why), and a queued or running job without a sign
    of life for PORTAL_PROCESSING_STALL_SECONDS and without a live lease (its worker dead,
    or its message lost) is queued again (a running one moved back to
    queued, so the worker taking it counts a new attempt), or failed when its last attempt is
    the one that stalled. Decided on the locked job, its progress_at moved, so concurrent
    sweeps act once; a job whose message the broker refused is queued again by the next
    sweep after the stall window. The number of jobs moved, queued or failed."""
    now = now or timezone.now()
    count = 0
    closed = BulkJob.objects.waiting().filter(approval__status__in=CLOSED_APPROVAL)
    for approval in list(Approval.objects.filter(pk__in=closed.values("approval_id"))[:1000]):
        with transaction.atomic():
            count += bulk_job_release(approval=approval, now=now)
    seconds = settings.PORTAL_PROCESSING_STALL_SECONDS
    for job_id in list(BulkJob.objects.stalled(now, seconds).values_list("pk", flat=True)[:1000]):
        with transaction.atomic():
            # A job locked is being moved (a batch, a claim, another sweep): never waited on.
            job = BulkJob.objects.stalled(now, seconds).select_for_update(skip_locked=True)
            job = job.filter(pk=job_id).first()
            if job is None:
                continue  # another sweep took it, or it showed a sign of life meanwhile
            if job.status == JobStatus.RUNNING:
                if job.attempts >= settings.PORTAL_BULK_MAX_ATTEMPTS:
                    # its last attempt stalled too: failed, not queued again
                    count += int(_give_up(job_id, job.attempts).status == JobStatus.FAILED)
                    continue
                _move(job, "requeue", by=None, attempts=job.attempts)
            job.progress_at = now
            job.save(update_fields=["status", "progress_at"])
            # sent once the move is committed: the worker must find the job queued
            transaction.on_commit(partial(_enqueue_run, job_id))
            count += 1
    return count


def stall_cutoff(now=None):
    return (now or timezone.now()) - timedelta(seconds=settings.PORTAL_PROCESSING_STALL_SECONDS)
