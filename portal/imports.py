"""Spreadsheet imports parsed in the worker, never in a web request (docs/architecture.md §4.7).

The ground floor keeps the job (`portal.models.ImportJob`): the upload, its status, its
progress and the parse's outcome. Each app above registers, for its kind of import, the Celery
task that parses it (`import_kind_register`, from its AppConfig.ready); this floor never imports
them. The path of a job:

1. `import_job_create` (web request): the .xlsx is inspected (`portal.lib.xlsx.inspect_upload`:
   name, size, zip directory; fast, nothing decompressed), the job saved `queued`, its task
   queued once the job is committed.
2. `import_job_run` (worker): claims the job under its row lock (only a `queued` job: a
   redelivered or duplicate task finds it parsing, ready or failed and leaves it alone), lets
   the app parse it, writes progress every PROGRESS_EVERY rows in its own short update, then the
   result in one update guarded on the status and the claim (`attempt`), so a former worker
   of a re-queued job can write nothing.
3. `import_job_confirm` / `import_job_discard` (web request): under the job's row lock, only
   from `ready` (confirm) or while not final (discard).
4. `import_jobs_sweep` (beat, `portal-imports-resume-stalled`): re-queues jobs that showed no
   progress for PORTAL_IMPORT_STALL_SECONDS (a lost message, a dead worker), fails those
   claimed MAX_ATTEMPTS times, discards jobs older than PORTAL_IMPORT_KEEP_HOURS (file and
   rows deleted).
"""

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.audit import audit_record
from portal.errors import DomainError
from portal.lib.queueing import enqueue
from portal.lib.xlsx import XlsxRefused, inspect_upload
from portal.models import ImportJob

logger = logging.getLogger(__name__)

S = ImportJob.Status
PROGRESS_EVERY = 50
MAX_ATTEMPTS = 3
_PARSE_TASKS: dict[str, object] = {}

STATE_MESSAGES = {
    S.QUEUED: gettext_lazy("Đang chờ xử lý"),
    S.PARSING: gettext_lazy("Đang đọc và kiểm tra tệp…"),
    S.FAILED: gettext_lazy("Không nhập được tệp này."),
    S.CONFIRMED: gettext_lazy("Lần nhập này đã được xác nhận."),
    S.DISCARDED: gettext_lazy("Lần nhập này đã bị huỷ hoặc đã hết hạn. Hãy tải tệp lên lại."),
}
_NOT_READY = {
    S.QUEUED: gettext_lazy("Tệp vẫn đang được kiểm tra: hãy chờ xong rồi xác nhận."),
    S.PARSING: gettext_lazy("Tệp vẫn đang được kiểm tra: hãy chờ xong rồi xác nhận."),
    S.FAILED: gettext_lazy("Tệp này không đọc được nên không thể xác nhận: hãy tải tệp khác."),
    S.CONFIRMED: STATE_MESSAGES[S.CONFIRMED],
    S.DISCARDED: STATE_MESSAGES[S.DISCARDED],
}

Progress = Callable[[int, int], None]
Parser = Callable[[ImportJob, Progress], tuple[dict, int]]


class ImportJobNotReady(DomainError):
    """The job cannot be confirmed in its current status; the message says why."""


def import_kind_register(kind: str, task) -> None:
    """An app declares the Celery task (taking the job's pk) that parses its kind of import."""
    _PARSE_TASKS[kind] = task


def import_parse_task(kind: str):
    """The task registered for `kind` (KeyError when none is)."""
    return _PARSE_TASKS[kind]


def enqueue_import(job_id: int, kind: str) -> bool:
    """Queue the job's parse task; False when the broker cannot be reached (the sweep queues
    it again later: the job in the database is the intent)."""
    return enqueue(_PARSE_TASKS[kind], job_id, what=f"import job {job_id}")


def job_upload(job: ImportJob) -> ContentFile:
    """The job's file as an upload, for the readers of portal.lib.xlsx."""
    return ContentFile(bytes(job.content), name=job.file_name)


# --- web request: create, confirm, discard -------------------------------------------------
def import_job_create(*, owner, kind: str, upload, target_id: int | None = None) -> ImportJob:
    """Inspect the upload (XlsxRefused when unusable), save the job and queue its parse after
    the commit. Nothing is parsed here."""
    if kind not in _PARSE_TASKS:
        raise LookupError(f"no parse task registered for import kind {kind!r}")
    content = inspect_upload(upload)
    with transaction.atomic():
        job = ImportJob.objects.create(
            owner=owner,
            kind=kind,
            target_id=target_id,
            file_name=(upload.name or "tep.xlsx")[:255],
            content=content,
        )
        audit_record(
            actor=owner,
            action="import_job.create",
            obj=job,
            after={
                "kind": kind,
                "target_id": target_id,
                "file": job.file_name,
                "bytes": len(content),
            },
        )
        transaction.on_commit(lambda: enqueue_import(job.pk, kind))
    return job


def import_job_confirm(*, job: ImportJob, by, apply: Callable[[ImportJob], object]):
    """Lock the job; only a `ready` job goes on: `apply(locked_job)` writes what it holds (in
    this transaction: if it raises, nothing is written and the job stays ready), then the job
    is confirmed and its rows dropped. Returns what `apply` returned."""
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status != S.READY:
            raise ImportJobNotReady(str(_NOT_READY[locked.status]), code="import_not_ready")
        outcome = apply(locked)
        _close(locked, status=S.CONFIRMED, by=by, action="import_job.confirm")
    return outcome


def import_job_result_replace(*, job: ImportJob, result: dict) -> bool:
    """The preview changed (the target moved on since the parse): keep the new result, only
    while the job is still ready. Not audited: nothing outside the job changes."""
    return bool(ImportJob.objects.filter(pk=job.pk, status=S.READY).update(result=result))


def import_job_discard(*, job: ImportJob, by) -> ImportJob:
    """Drop a job that is not final yet, with its file and rows; a final one is left as is."""
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status in (S.CONFIRMED, S.DISCARDED):
            return locked
        _close(locked, status=S.DISCARDED, by=by, action="import_job.discard")
    return locked


def _close(locked: ImportJob, *, status: str, by, action: str) -> None:
    """End a locked job in a final status: its file and rows are dropped, the move audited."""
    before = locked.status
    locked.status = status
    locked.result = {}
    locked.content = b""
    locked.finished_at = timezone.now()
    locked.save(update_fields=["status", "result", "content", "finished_at"])
    audit_record(
        actor=by, action=action, obj=locked, before={"status": before}, after={"status": status}
    )


# --- worker: claim, progress, result -------------------------------------------------------
def _claim(job_id: int) -> ImportJob | None:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != S.QUEUED:
            return None
        job.status = S.PARSING
        job.attempt += 1
        job.rows_done = job.rows_total = 0
        job.touched_at = timezone.now()
        job.save(update_fields=["status", "attempt", "rows_done", "rows_total", "touched_at"])
    return job


def _mine(job: ImportJob):
    return ImportJob.objects.filter(pk=job.pk, status=S.PARSING, attempt=job.attempt)


def _progress_writer(job: ImportJob) -> Progress:
    def progress(done: int, total: int) -> None:
        # Its own short update (the worker runs in autocommit): the page sees it at once.
        _mine(job).update(rows_done=min(done, total), rows_total=total, touched_at=timezone.now())

    return progress


def import_job_run(*, job_id: int, parse: Parser) -> str:
    """The worker's side of a job (called by each app's parse task): claim, parse, record.

    `parse(job, progress)` returns (result, rows) or raises XlsxRefused / DomainError with a
    message for the user. Returns what happened: "skipped" (not queued: a duplicate or late
    delivery), "ready", "failed" or "lost" (re-queued or discarded meanwhile).
    """
    job = _claim(job_id)
    if job is None:
        return "skipped"
    status, result, error, total = S.READY, {}, "", 0
    try:
        result, total = parse(job, _progress_writer(job))
    except (XlsxRefused, DomainError) as exc:
        status, error = S.FAILED, str(exc.message)
    except Exception:  # noqa: BLE001 - the user is told; the trace goes to the log
        logger.exception("import job %s: the parse failed", job_id)
        status, error = S.FAILED, _("Lỗi hệ thống khi đọc tệp. Hãy thử tải tệp lên lại.")
    written = _mine(job).update(
        status=status,
        result=result,
        error=error,
        rows_total=total,
        rows_done=total,
        content=b"",
        touched_at=timezone.now(),
        finished_at=timezone.now(),
    )
    return str(status) if written else "lost"


# --- beat -----------------------------------------------------------------------------------
def import_jobs_sweep(*, now=None) -> dict[str, int]:
    """Beat: discard expired jobs, give up on jobs tried too often, re-queue stalled ones.

    Re-queuing moves the job back to `queued` in an update guarded on the stall (so two
    sweeps queue it once) and the task's claim bumps `attempt`, so a former worker still alive
    writes nothing."""
    now = now or timezone.now()
    keep = timedelta(hours=settings.PORTAL_IMPORT_KEEP_HOURS)
    expired = ImportJob.objects.expired(now - keep).update(
        status=S.DISCARDED, content=b"", result={}, finished_at=now
    )
    cutoff = now - timedelta(seconds=settings.PORTAL_IMPORT_STALL_SECONDS)
    given_up = (
        ImportJob.objects.stalled(cutoff)
        .filter(attempt__gte=MAX_ATTEMPTS)
        .update(
            status=S.FAILED,
            error=_("Tệp chưa đọc xong sau %(n)d lần thử: hãy chia nhỏ tệp rồi tải lên lại.")
            % {"n": MAX_ATTEMPTS},
            content=b"",
            finished_at=now,
        )
    )
    requeued = 0
    for pk, kind in ImportJob.objects.stalled(cutoff).values_list("pk", "kind"):
        claimed = (
            ImportJob.objects.filter(pk=pk).stalled(cutoff).update(status=S.QUEUED, touched_at=now)
        )
        if claimed and kind in _PARSE_TASKS and enqueue_import(pk, kind):
            requeued += 1
    return {"expired": expired, "given_up": given_up, "requeued": requeued}
