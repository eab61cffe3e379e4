"""Processing a letter's accepted rows: started by a click, carried out by the worker, never
stuck and never repeated (docs/processing.md §4).

- The click moves the letter to "in process" (under the lock) and then enqueues the task;
  when the broker is unreachable the letter stays in process, the user is told, and the
  stall sweep enqueues it again once the broker is back. The database holds the intent.
- The worker takes the accepted rows in chunks (a worker that dies loses at most one
  chunk's work, rolled back and done again), each row locked and processed only while it
  is still accepted; issuance rows are written a chunk at a time with bulk operations and
  signed by the CA at once (§12.3), and revocation rows are revoked together, a CRL queued
  once when the letter ends. What a row produces carries the row's key under a unique
  constraint (`Certificate.origin`), so a redelivered, concurrent or retried task can never
  issue twice; the CA refuses to revoke a certificate no longer valid.
- `progress_at` records the last sign of life; a letter in process without one for
  PORTAL_PROCESSING_STALL_SECONDS is re-enqueued by beat or resumed by the processor, unless
  a worker holds a live lease on it (`portal.leases`: renewed from a heartbeat while a chunk
  runs), so only a dead worker's letter is queued again and counted.
- A poison letter is not retried for ever (§4.5): `processing_attempts` counts the attempts
  queued (the click, each requeue), decided on the locked row by whoever queues, never by the
  task (a redelivered message is not an attempt of ours). A run that raises records why
  (`processing_error`, safe text); once the last attempt has failed or stalled, the letter
  moves to "processing failed" and its processor and the administrators are told; the
  processor's "retry" queues it again.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates import services as ca
from portal.audit import audit_record
from portal.errors import DomainError
from portal.leases import work_lease
from portal.lib.queueing import enqueue
from requests_app import notify
from requests_app.choices import FormKind, Outcome, Status
from requests_app.models import CertRequest, RequestRow
from requests_app.row_batches import BATCHED_FORMS, issue_rows_in_bulk
from requests_app.row_handlers import process_row, processor_of
from requests_app.row_revocations import revoke_rows_in_bulk
from requests_app.services.verification import check_signed
from requests_app.workflow import acting, lock, move

logger = logging.getLogger(__name__)


class QueueUnavailable(DomainError):
    """The action is recorded but the task could not be queued: the stall sweep will
    queue it again once the broker answers."""


def enqueue_processing(cert_request_id: int) -> bool:
    """Queue the processing task; False when the broker cannot be reached."""
    return enqueue(
        "requests_app.tasks.cert_request_run_processing_task",
        cert_request_id,
        what=f"processing of letter {cert_request_id}",
    )


def _enqueue_or_tell(cert_request_id: int) -> None:
    """Queue the task once the letter's move is committed (the worker must see it); say so
    when the broker cannot be reached. Inside an outer transaction, queue on its commit."""
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: enqueue_processing(cert_request_id))
        return
    if not enqueue_processing(cert_request_id):
        raise QueueUnavailable(
            _(
                "Đã ghi nhận lệnh xử lý, nhưng hàng đợi xử lý tạm thời không phản hồi. Văn bản "
                "sẽ được xử lý tự động khi hàng đợi hoạt động trở lại; không cần bấm lại."
            ),
            code="queue_unavailable",
        )


def _check_processable(cert_request: CertRequest) -> None:
    if cert_request.status == Status.PROVINCE_REVIEW:
        check_signed(cert_request)  # the province processes it itself: received signed
    pending = cert_request.rows.filter(outcome=Outcome.PENDING).count()
    if pending:
        raise DomainError(
            _("Còn %(n)d dòng chưa được chấp nhận hoặc từ chối.") % {"n": pending},
            code="rows_pending",
        )
    if not cert_request.rows.filter(outcome=Outcome.ACCEPTED).exists():
        raise DomainError(
            _("Không có dòng nào được chấp nhận: hãy từ chối văn bản."), code="nothing_accepted"
        )


def cert_request_process(*, cert_request: CertRequest, by) -> CertRequest:
    """Start processing the accepted rows in a worker; the page shows progress.

    Raises QueueUnavailable (after the letter has moved) when the task could not be queued.
    """
    return _queue_first_attempt(cert_request, "process", by=by, check=_check_processable)


def _queue_first_attempt(cert_request: CertRequest, action: str, *, by, check=None):
    """Move the letter by `action` into processing with a fresh count of attempts, then queue
    its task (the one shape of "Xử lý" and "Xử lý lại")."""
    with acting(cert_request, action, by=by, check=check) as locked:
        move(
            locked,
            action,
            by=by,
            progress_at=timezone.now(),
            processing_attempts=1,
            processing_error="",
        )
    _enqueue_or_tell(locked.pk)
    return cert_request


def _check_stalled(cert_request: CertRequest) -> None:
    if not cert_request.is_stalled:
        raise DomainError(_("Văn bản vẫn đang được xử lý; hãy chờ thêm."), code="not_stalled")


def cert_request_resume(*, cert_request: CertRequest, by) -> CertRequest:
    """The processor queues a stalled letter again (safe: done rows are never redone)."""
    with acting(cert_request, "resume", by=by, check=_check_stalled) as locked:
        before = locked.progress_at
        locked.progress_at = timezone.now()
        locked.processing_attempts += 1
        locked.save(update_fields=["progress_at", "processing_attempts"])
        audit_record(
            actor=by,
            action="cert_request.resume",
            obj=locked,
            before={"progress_at": str(before)},
            after={
                "progress_at": str(locked.progress_at),
                "attempt": locked.processing_attempts,
            },
        )
    _enqueue_or_tell(locked.pk)
    return cert_request


def cert_request_retry(*, cert_request: CertRequest, by) -> CertRequest:
    """The processor queues a letter whose processing failed again, once the cause is fixed:
    a fresh count of attempts (safe: done rows are never redone). Audited by the move."""
    return _queue_first_attempt(cert_request, "retry", by=by)


def _give_up(locked: CertRequest) -> None:
    """Move the locked letter to "processing failed" and tell its processor and the
    administrators (in the caller's transaction, with the move)."""
    # A last attempt that stalled without an error of its own: a worker killed by the letter,
    # or its message lost each time.
    error = locked.processing_error or _("Việc xử lý không có tiến triển sau lần thử cuối.")
    move(locked, "processing_fail", by=None, note=error, processing_error=error)
    _publish_revocations(locked)
    notify.processing_failed(locked)


def _publish_revocations(locked: CertRequest) -> None:
    """A Mẫu 05 letter's chunks revoke without publishing: the CRL of each CA that issued a
    certificate it revoked is queued once, when the letter ends (done, or given up with some
    rows done), after the commit of that end (docs/processing.md §4.1). The letter ends once
    under its lock, so a redelivered task queues nothing more."""
    if locked.form != FormKind.REVOKE:
        return
    ca.crl_publish_queue(
        certificate_ids=locked.rows.filter(outcome=Outcome.DONE).values_list(
            "result_certificate_id", flat=True
        )
    )


def _stalled_locked(pk: int, now) -> CertRequest | None:
    """The letter's row locked if it is still stalled (skipping a row another sweep holds)."""
    return (
        CertRequest.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("agency")
        .filter(pk=pk)
        .stalled(now)
        .first()
    )


def cert_request_resume_stalled(*, now=None) -> int:
    """Beat: queue again every letter in process that made no progress within the stall
    window, counting the attempt; a letter whose last attempt stalled too is given up
    ("processing failed"). Each letter is decided on its locked row, and claiming it moves
    its `progress_at`, so concurrent sweeps queue it once. An attempt is counted only when
    the task was queued: with the broker down, the letter waits for the next sweep."""
    now = now or timezone.now()
    queued = 0
    for pk in CertRequest.objects.stalled(now).values_list("pk", flat=True):
        with transaction.atomic():
            locked = _stalled_locked(pk, now)
            if locked is None:
                continue  # another sweep holds or has claimed it
            if locked.processing_attempts >= settings.PORTAL_PROCESSING_MAX_ATTEMPTS:
                _give_up(locked)
                continue
            # Queued under the lock, so that the count is of attempts really queued; a worker
            # taking the message at once waits for this commit before it writes the letter.
            locked.progress_at = now
            fields = ["progress_at"]
            if enqueue_processing(pk):
                queued += 1
                locked.processing_attempts += 1
                fields.append("processing_attempts")
            locked.save(update_fields=fields)
    return queued


def _process_chunk(cert_request: CertRequest, by) -> int:
    """Lock up to PORTAL_PROCESSING_CHUNK_SIZE rows still accepted (skipping rows another
    worker holds) and carry them out in one transaction: the issuance forms with bulk writes
    (`row_batches`, docs/scale.md §12.3), revocations together (`row_revocations`), every
    other row, and any row the bulk write could not carry, in its own savepoint. Returns the
    rows taken."""
    with transaction.atomic():
        rows = list(
            RequestRow.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(cert_request_id=cert_request.pk, outcome=Outcome.ACCEPTED)
            .select_related("certificate__agency", "device__agency", "person__organization")
            .order_by("position")[: settings.PORTAL_PROCESSING_CHUNK_SIZE]
        )
        for row in rows:
            row.cert_request = cert_request
        left = rows
        bulk = None
        if rows and cert_request.form in BATCHED_FORMS:
            bulk = issue_rows_in_bulk(rows, by=by)
        elif rows and cert_request.form == FormKind.REVOKE:
            bulk = revoke_rows_in_bulk(rows, by=by)
        if bulk is not None:
            _fail_rows(cert_request, bulk.failed)
            left = bulk.left
        for row in left:
            _process_row(cert_request, row, by)
        if rows:
            CertRequest.objects.filter(pk=cert_request.pk).update(progress_at=timezone.now())
    return len(rows)


def _process_row(cert_request: CertRequest, row: RequestRow, by) -> None:
    """One row in its own savepoint: done, or failed alone (§4.2)."""
    try:
        with transaction.atomic():
            process_row(row, by=by)
            row.outcome = Outcome.DONE
            row.is_open = False
            row.save(update_fields=["outcome", "is_open", "result_certificate", "result_device"])
    except Exception as exc:  # noqa: BLE001 - one row's failure must not stop the rest
        _fail_rows(cert_request, [(row, exc)])


def _fail_rows(cert_request: CertRequest, failures) -> None:
    """Mark rows failed with why: a refusal of the rules (DomainError) says why; anything
    else (a constraint, a deadlock, a bug) is logged and the row fails, rolled back to its
    savepoint, instead of rolling back the chunk and blocking the letter for good. Rows
    failing for the same reason are marked in one UPDATE."""
    by_note: dict[str, list[int]] = {}
    for row, exc in failures:
        if not isinstance(exc, DomainError):
            logger.error("row %s of letter %s failed", row.pk, cert_request.pk, exc_info=exc)
        note = str(exc) if isinstance(exc, DomainError) else _("Lỗi hệ thống khi xử lý dòng này.")
        by_note.setdefault(note[:500], []).append(row.pk)
    for note, pks in by_note.items():
        # Only a row still accepted fails: never overwrite another worker's result.
        RequestRow.objects.filter(pk__in=pks, outcome=Outcome.ACCEPTED).update(
            outcome=Outcome.FAILED, outcome_note=note, is_open=False
        )


def _finish(cert_request_id: int) -> CertRequest | None:
    """Complete the letter once no accepted row is left (exactly once: under its lock)."""
    with transaction.atomic():
        locked = lock(CertRequest(pk=cert_request_id))
        if locked.status != Status.IN_PROCESS:
            return None
        if locked.rows.filter(outcome=Outcome.ACCEPTED).exists():
            return None  # another worker still holds some rows
        move(locked, "complete", by=None, done_at=timezone.now())
        locked.rows.update(is_open=False)
        _publish_revocations(locked)
    notify.outcome_to_clerk(locked)
    return locked


def cert_request_run_processing(*, cert_request_id: int) -> CertRequest:
    """Worker body: process the accepted rows chunk by chunk, then finish the letter.

    Safe to run twice, at once or after a crash: rows already done are not taken again. A run
    that raises records why on the letter (and gives it up after its last attempt) before the
    error goes on to the worker's log.
    """
    cert_request = CertRequest.objects.select_related("agency").get(pk=cert_request_id)
    if cert_request.status != Status.IN_PROCESS:
        return cert_request
    # The lease, renewed from a heartbeat, tells the stall sweep this letter is being worked
    # on however long a chunk takes; a killed worker's lease runs out (§4.5).
    with work_lease(cert_request):
        try:
            by = processor_of(cert_request)
            while _process_chunk(cert_request, by):
                pass
            return _finish(cert_request_id) or cert_request
        except Exception as exc:
            _attempt_failed(cert_request_id, exc)
            raise


def _safe_error(exc: Exception) -> str:
    """What the page may say of a failed run: a refusal's own message, else the kind of error
    (never its text, which may hold data or internals: that goes to the log); no control
    characters (PostgreSQL refuses NUL), at most the column's length."""
    if isinstance(exc, DomainError):
        text = str(exc)
    else:
        text = _("Lỗi hệ thống khi xử lý văn bản (%(kind)s).") % {"kind": type(exc).__name__}
    text = "".join(ch if ch.isprintable() else " " for ch in text).strip()
    return text[:500]


def _attempt_failed(cert_request_id: int, exc: Exception) -> None:
    """Record on the locked letter why this run failed; after the last attempt, give it up.
    A redelivered message failing again finds the same count (only queueing counts), and one
    failing after the letter was given up finds it no longer in process: nothing twice."""
    logger.error("processing of letter %s failed", cert_request_id, exc_info=exc)
    with transaction.atomic():
        locked = lock(CertRequest(pk=cert_request_id))
        if locked.status != Status.IN_PROCESS:
            return
        locked.processing_error = _safe_error(exc)
        locked.save(update_fields=["processing_error"])
        if locked.processing_attempts >= settings.PORTAL_PROCESSING_MAX_ATTEMPTS:
            _give_up(locked)
