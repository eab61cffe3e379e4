"""Spreadsheet imports parsed, checked and written in the worker, never in a web request
(docs/processing.md §4.7).

The ground floor keeps the job (`portal.models.ImportJob`): the upload, its status, its
progress and the parse's outcome. Each app above registers, for its kind of import, the names
of the Celery tasks that parse it and that write it (`import_kind_register`, from its
AppConfig.ready); this floor enqueues them by name and never imports them. The path of a job:

1. `import_job_create` (web request): the .xlsx is inspected (`portal.lib.xlsx.inspect_upload`:
   name, size, zip directory; fast, nothing decompressed), the job saved `queued`, its parse
   task queued once the job is committed.
2. `import_job_run` (worker): claims the job under its row lock (only a `queued` job: a
   redelivered or duplicate task finds it parsing, ready or failed and leaves it alone), lets
   the app parse it, writes progress every PROGRESS_EVERY rows in its own short update, then the
   result in one update guarded on the status and the claim (`attempt`), so a former worker
   of a re-queued job can write nothing.
3. `import_job_confirm_queue` (web request): under the job's row lock, only from `ready`: the
   job becomes `confirming` and its save task is queued; nothing is checked or written here.
   `import_job_discard` (web request) drops a job that is not final.
4. `import_job_save_run` (worker): claims a `confirming` job (`saving`), lets the app check its
   rows again with progress, then, in one transaction, write them and close the job
   (`confirmed`), guarded on the claim; the app makes the write idempotent by a database
   constraint. Rows that no longer pass send the job back to `ready` with the new preview.
5. `import_jobs_sweep` (beat, `portal-imports-resume-stalled`): re-queues jobs that showed no
   progress for PORTAL_IMPORT_STALL_SECONDS (a lost message, a dead worker: a parse from the
   start, a save from its checks, nothing of it having been committed), fails those claimed
   MAX_ATTEMPTS times, discards jobs older than PORTAL_IMPORT_KEEP_HOURS (file and rows
   deleted).
"""

import logging
from collections.abc import Callable
from datetime import timedelta

from celery import current_app
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
# Rows between two progress writes: about a second of the worker's work (a progress write is a
# short UPDATE of its own; 50 made 400 of them for a 20,000-row sheet).
PROGRESS_EVERY = 500
MAX_ATTEMPTS = 3
_PARSE_TASKS: dict[str, str] = {}
_SAVE_TASKS: dict[str, str] = {}

STATE_MESSAGES = {
    S.QUEUED: gettext_lazy("Đang chờ xử lý"),
    S.PARSING: gettext_lazy("Đang đọc và kiểm tra tệp…"),
    S.CONFIRMING: gettext_lazy("Đã xác nhận: đang chờ ghi các dòng…"),
    S.SAVING: gettext_lazy("Đang kiểm tra lại và ghi các dòng…"),
    S.FAILED: gettext_lazy("Không nhập được tệp này."),
    S.CONFIRMED: gettext_lazy("Lần nhập này đã được xác nhận."),
    S.DISCARDED: gettext_lazy("Lần nhập này đã bị huỷ hoặc đã hết hạn. Hãy tải tệp lên lại."),
}
_NOT_READY = {
    S.QUEUED: gettext_lazy("Tệp vẫn đang được kiểm tra: hãy chờ xong rồi xác nhận."),
    S.PARSING: gettext_lazy("Tệp vẫn đang được kiểm tra: hãy chờ xong rồi xác nhận."),
    S.FAILED: gettext_lazy("Tệp này không đọc được nên không thể xác nhận: hãy tải tệp khác."),
    S.CONFIRMING: gettext_lazy("Lần nhập này đã được xác nhận và đang được ghi."),
    S.SAVING: gettext_lazy("Lần nhập này đã được xác nhận và đang được ghi."),
    S.CONFIRMED: STATE_MESSAGES[S.CONFIRMED],
    S.DISCARDED: STATE_MESSAGES[S.DISCARDED],
}

Progress = Callable[[int, int], None]
Parser = Callable[[ImportJob, Progress], tuple[dict, int]]
# The app's save: checks the rows with progress (no lock held), returns what writes them on
# the locked job inside the transaction that confirms it.
Saver = Callable[[ImportJob, Progress], Callable[[ImportJob], object]]


class ImportJobNotReady(DomainError):
    """The job cannot be confirmed in its current status; the message says why."""


class ImportResultChanged(DomainError):
    """Raised by an app's save: some rows no longer pass (the target moved on since the
    preview); `result` is the preview as it now stands. Nothing was written; the job goes
    back to `ready` with this result and the message."""

    def __init__(self, message: str, *, result: dict, code: str = "preview_changed"):
        super().__init__(message, code=code)
        self.result = result


def _task_name(task) -> str:
    return task if isinstance(task, str) else task.name


def import_kind_register(kind: str, task, *, save_task=None) -> None:
    """An app declares the Celery tasks (each taking the job's pk) that parse its kind of
    import and, when its confirmation runs in the worker, that write it: tasks or their
    registered names (they are enqueued by name)."""
    _PARSE_TASKS[kind] = _task_name(task)
    if save_task is not None:
        _SAVE_TASKS[kind] = _task_name(save_task)


def _registered(name: str):
    # Tasks are sent by name, so a web process need never import a tasks module; to run one
    # here (the tests run a parse in their own process) the apps' tasks are loaded first, once:
    # each load sends Celery's import signal, on which its Django fixup runs every system check.
    if name not in current_app.tasks:
        current_app.loader.import_default_modules()
    return current_app.tasks[name]


def import_parse_task(kind: str):
    """The task registered for `kind` (KeyError when none is)."""
    return _registered(_PARSE_TASKS[kind])


def import_save_task(kind: str):
    """The save task registered for `kind` (KeyError when none is)."""
    return _registered(_SAVE_TASKS[kind])


def enqueue_import(job_id: int, kind: str) -> bool:
    """Queue the job's parse task; False when the broker cannot be reached (the sweep queues
    it again later: the job in the database is the intent)."""
    return enqueue(_PARSE_TASKS[kind], job_id, what=f"import job {job_id}")


def enqueue_import_save(job_id: int, kind: str) -> bool:
    """Queue the job's save task; False when the broker cannot be reached (the sweep)."""
    return enqueue(_SAVE_TASKS[kind], job_id, what=f"import job {job_id} (save)")


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


def import_job_confirm_queue(*, job: ImportJob, by) -> ImportJob:
    """The owner's confirmation of a `ready` job whose kind is written by the worker: the job
    becomes `confirming` (its claim counter reset: no parse worker writes to a job that is
    not parsing) and its save task is queued after the commit. ImportJobNotReady otherwise."""
    if job.kind not in _SAVE_TASKS:
        raise LookupError(f"no save task registered for import kind {job.kind!r}")
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status != S.READY:
            raise ImportJobNotReady(str(_NOT_READY[locked.status]), code="import_not_ready")
        locked.status = S.CONFIRMING
        locked.attempt = 0
        locked.error = ""
        locked.rows_done = locked.rows_total = 0
        locked.touched_at = timezone.now()
        locked.save(
            update_fields=["status", "attempt", "error", "rows_done", "rows_total", "touched_at"]
        )
        audit_record(
            actor=by,
            action="import_job.confirm_queue",
            obj=locked,
            before={"status": S.READY},
            after={"status": S.CONFIRMING},
        )
        kind = locked.kind
        transaction.on_commit(lambda: enqueue_import_save(locked.pk, kind))
    return locked


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
def claim(job_id: int, waiting: str = S.QUEUED, running: str = S.PARSING) -> ImportJob | None:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != waiting:
            return None
        job.status = running
        job.attempt += 1
        job.rows_done = job.rows_total = 0
        job.touched_at = timezone.now()
        job.save(update_fields=["status", "attempt", "rows_done", "rows_total", "touched_at"])
    return job


def _mine(job: ImportJob):
    """The job while this claim still holds it (its status and attempt unchanged)."""
    return ImportJob.objects.filter(pk=job.pk, status=job.status, attempt=job.attempt)


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
    job = claim(job_id)
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


def import_job_save_run(*, job_id: int, save: Saver) -> str:
    """The worker's side of a confirmation (called by each app's save task).

    `save(job, progress)` checks the job's rows (progress every PROGRESS_EVERY rows, no lock
    held) and returns `write(locked_job)`, run in one transaction with the job locked and
    still this claim's; the job is then confirmed (its file and rows dropped) in the same
    transaction. Returns "skipped" (not confirming: a duplicate or late delivery), "confirmed",
    "ready" (ImportResultChanged: the job is ready again with the new preview), "failed", or
    "lost" (re-queued or discarded meanwhile: nothing written).
    """
    job = claim(job_id, waiting=S.CONFIRMING, running=S.SAVING)
    if job is None:
        return "skipped"
    try:
        write = save(job, _progress_writer(job))
        with transaction.atomic():
            locked = _mine(job).select_for_update().first()
            if locked is None:
                return "lost"
            write(locked)
            _close(locked, status=S.CONFIRMED, by=locked.owner, action="import_job.confirm")
        return str(S.CONFIRMED)
    except ImportResultChanged as exc:
        written = _mine(job).update(
            status=S.READY, result=exc.result, error=str(exc.message), touched_at=timezone.now()
        )
        return str(S.READY) if written else "lost"
    except (XlsxRefused, DomainError) as exc:
        error = str(exc.message)
    except Exception:  # noqa: BLE001 - the user is told; the trace goes to the log
        logger.exception("import job %s: the save failed", job_id)
        error = _("Lỗi hệ thống khi ghi các dòng. Chưa dòng nào được thêm; hãy tải tệp lên lại.")
    written = _mine(job).update(
        status=S.FAILED,
        error=error,
        result={},
        content=b"",
        touched_at=timezone.now(),
        finished_at=timezone.now(),
    )
    return str(S.FAILED) if written else "lost"


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
    tried_out = ImportJob.objects.stalled(cutoff).filter(attempt__gte=MAX_ATTEMPTS)
    given_up = tried_out.filter(status__in=(S.QUEUED, S.PARSING)).update(
        status=S.FAILED,
        error=_("Tệp chưa đọc xong sau %(n)d lần thử: hãy chia nhỏ tệp rồi tải lên lại.")
        % {"n": MAX_ATTEMPTS},
        content=b"",
        finished_at=now,
    )
    given_up += tried_out.filter(status__in=(S.CONFIRMING, S.SAVING)).update(
        status=S.FAILED,
        error=_(
            "Chưa ghi được các dòng sau %(n)d lần thử; chưa dòng nào được thêm: hãy chia nhỏ "
            "tệp rồi tải lên lại."
        )
        % {"n": MAX_ATTEMPTS},
        result={},
        content=b"",
        finished_at=now,
    )
    requeued = 0
    for pk, kind, status in ImportJob.objects.stalled(cutoff).values_list("pk", "kind", "status"):
        saving = status in (S.CONFIRMING, S.SAVING)
        claimed = (
            ImportJob.objects.filter(pk=pk)
            .stalled(cutoff)
            .update(status=S.CONFIRMING if saving else S.QUEUED, touched_at=now)
        )
        if not claimed:
            continue
        tasks, send = (
            (_SAVE_TASKS, enqueue_import_save) if saving else (_PARSE_TASKS, enqueue_import)
        )
        if kind in tasks and send(pk, kind):
            requeued += 1
    return {"expired": expired, "given_up": given_up, "requeued": requeued}
