"""Large list exports built by the worker, never in a web request (docs/scale.md §12.5).

The path of an export, in the style of the import jobs (docs/processing.md §4.7):

1. `export_answer` (the list view's export branch, through `portal.lib.exports.export_list`):
   a bounded count (at most PORTAL_EXPORT_INLINE_MAX_ROWS + 1 rows) decides. A small list
   is written at once, as before; a large one is saved as a job (`export_job_create`: the
   owner, the page's path and query string, the language) and its task queued once the job is
   committed; the user is sent to the job's page.
2. `export_job_run` (worker): claims the job under its row lock only while `queued` (a
   redelivered or duplicate task finds it building, ready or failed and leaves it alone),
   replays the list view for the owner (`replay.replay_list`: the same FilterSet, the scope
   `visible_to(owner)` evaluated now) into a temporary file with its progress in short
   updates, keeps the file under a name of its own in the `exports` storage (a local folder or
   the object store every node reads: config/storage.py), and records the outcome in one
   update guarded on the status and the claim (`attempt`): a former worker of a re-queued job
   writes nothing, and its file is an orphan the sweep deletes.
3. `export_jobs_sweep` (beat): re-queues jobs without progress for PORTAL_EXPORT_STALL_SECONDS,
   fails those claimed MAX_ATTEMPTS times, expires jobs older than PORTAL_EXPORT_KEEP_HOURS
   (their file deleted) and deletes files no job owns.
"""

import logging
import secrets
import tempfile
import time
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.storage import storages
from django.db import transaction
from django.db.models.functions import Greatest
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.export_jobs.models import ExportJob
from portal.export_jobs.replay import replay_list
from portal.lib.queueing import enqueue

logger = logging.getLogger(__name__)

S = ExportJob.Status
MAX_ATTEMPTS = 3
# Progress is written at most this often (seconds): each write is its own short UPDATE.
PROGRESS_SECONDS = 1.0
SUFFIX = ".xlsx"


class ExportLost(Exception):
    """The job was re-queued or expired while this worker built it: stop writing."""


def export_storage():
    return storages["exports"]


def stored_name(job: ExportJob) -> str | None:
    """The name of the job's file while it is ready and kept, else None."""
    if job.status != S.READY or not job.stored_name:
        return None
    return job.stored_name if export_storage().exists(job.stored_name) else None


# --- web request -----------------------------------------------------------------------------
def export_answer(request, export) -> HttpResponse:
    """The answer of a list's export branch: in the worker building a job, write its file;
    else the file now when the list is small, or a new job and its page when it is large."""
    build = getattr(request, "export_build", None)
    if build is not None:
        return build.write(export)
    limit = settings.PORTAL_EXPORT_INLINE_MAX_ROWS
    if _bounded_count(export.rows, limit) <= limit:
        return export.response()
    job = export_job_create(
        owner=request.user,
        title=export.title,
        path=request.path_info,
        query=request.GET.urlencode(),
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    return redirect("portal:export_job", pk=job.pk)


def _bounded_count(rows, limit: int) -> int:
    """How many rows, counting at most `limit` + 1 of them (a list is just measured)."""
    if hasattr(rows, "query"):
        return rows.order_by().values("pk")[: limit + 1].count()
    return len(rows)


def export_job_create(*, owner, title: str, path: str, query: str, language: str) -> ExportJob:
    """Save the job and queue its task after the commit. Nothing is exported here."""
    with transaction.atomic():
        job = ExportJob.objects.create(
            owner=owner, title=title[:255], path=path[:255], query=query, language=language
        )
        audit_record(
            actor=owner,
            action="export_job.create",
            obj=job,
            after={"title": job.title, "path": job.path, "query": job.query},
        )
        transaction.on_commit(lambda: enqueue_export(job.pk))
    return job


def enqueue_export(job_id: int) -> bool:
    """Queue the job's task; False when the broker cannot be reached (the sweep queues it
    later: the job in the database is the intent)."""
    return enqueue("portal.tasks.export_job_build_task", job_id, what=f"export job {job_id}")


# --- worker ----------------------------------------------------------------------------------
def _claim(job_id: int) -> ExportJob | None:
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != S.QUEUED:
            return None
        job.status = S.BUILDING
        job.attempt += 1
        job.rows_done = job.rows_total = 0
        job.touched_at = timezone.now()
        job.save(update_fields=["status", "attempt", "rows_done", "rows_total", "touched_at"])
    return job


def _mine(job: ExportJob):
    return ExportJob.objects.filter(pk=job.pk, status=S.BUILDING, attempt=job.attempt)


class Build:
    """What the replayed list view writes its export into (`export_answer` in the worker)."""

    def __init__(self, job: ExportJob, handle):
        self.job = job
        self.handle = handle
        self.rows = None
        self.file_name = ""
        self._reported = 0.0

    def write(self, export) -> HttpResponse:
        total = export.rows.count() if hasattr(export.rows, "query") else len(export.rows)
        self._touch(rows_total=total)
        self.rows = export.write(self.handle, progress=self.progress)
        self.file_name = export.download_name()
        return HttpResponse(status=204)

    def progress(self, done: int) -> None:
        now = time.monotonic()
        if now - self._reported >= PROGRESS_SECONDS:
            self._reported = now
            self._touch(rows_done=done, rows_total=Greatest("rows_total", done))

    def _touch(self, **fields) -> None:
        # Its own short update (the worker runs in autocommit): the page sees it at once.
        if not _mine(self.job).update(touched_at=timezone.now(), **fields):
            raise ExportLost


def export_job_run(*, job_id: int) -> str:
    """The worker's side of a job: claim, build, record. Returns what happened: "skipped"
    (not queued: a duplicate or late delivery), "ready", "failed" or "lost" (re-queued or
    expired meanwhile)."""
    job = _claim(job_id)
    if job is None:
        return "skipped"
    name = f"{job.pk}-{job.attempt}-{secrets.token_hex(8)}{SUFFIX}"
    status, error, build, size = S.READY, "", None, 0
    storage = export_storage()
    # Built in a private temporary file (deleted on close), then kept in the storage.
    with tempfile.TemporaryFile(suffix=SUFFIX) as handle:
        try:
            with translation.override(job.language):
                build = Build(job, handle)
                replay_list(job, build)
                if build.rows is None:
                    raise RuntimeError(f"{job.path} answered without exporting")
            size = handle.seek(0, 2)  # the end: the file's length
            handle.seek(0)
            # Named on the job first: the orphan sweep never takes a file being stored.
            if not _mine(job).update(stored_name=name):
                raise ExportLost
            name = storage.save(name, File(handle, name=name))
        except ExportLost:
            return "lost"
        except (PermissionDenied, Http404):
            status = S.FAILED
            error = _("Bạn không còn quyền xem danh sách này nên tệp không được tạo.")
        except Exception:  # noqa: BLE001 - the user is told; the trace goes to the log
            logger.exception("export job %s: the build failed", job_id)
            status, error = S.FAILED, _("Lỗi hệ thống khi tạo tệp. Hãy thử xuất lại.")
    done = build.rows if build and build.rows is not None else 0
    written = _mine(job).update(
        status=status,
        error=error,
        stored_name=name if status == S.READY else "",
        file_name=build.file_name if build else "",
        size=size if status == S.READY else 0,
        rows_done=done,
        rows_total=done if status == S.READY else Greatest("rows_total", done),
        touched_at=timezone.now(),
        finished_at=timezone.now(),
    )
    if not written:
        if status == S.READY:
            storage.delete(name)
        return "lost"
    return str(status)


# --- beat ------------------------------------------------------------------------------------
def export_jobs_sweep(*, now=None) -> dict[str, int]:
    """Beat: expire old jobs (their files deleted), give up on jobs tried too often, re-queue
    stalled ones, delete files no job owns.

    Re-queuing moves the job back to `queued` in an update guarded on the stall (so two
    sweeps queue it once) and the task's claim bumps `attempt`, so a former worker still alive
    writes nothing."""
    now = now or timezone.now()
    storage = export_storage()
    keep = timedelta(hours=settings.PORTAL_EXPORT_KEEP_HOURS)
    expired = 0
    for pk, stored in ExportJob.objects.expired(now - keep).values_list("pk", "stored_name"):
        if (
            ExportJob.objects.filter(pk=pk)
            .exclude(status=S.EXPIRED)
            .update(status=S.EXPIRED, stored_name="", finished_at=now)
        ):
            expired += 1
            if stored:
                storage.delete(stored)
    cutoff = now - timedelta(seconds=settings.PORTAL_EXPORT_STALL_SECONDS)
    given_up = (
        ExportJob.objects.stalled(cutoff)
        .filter(attempt__gte=MAX_ATTEMPTS)
        .update(
            status=S.FAILED,
            error=_("Tệp chưa tạo xong sau %(n)d lần thử: hãy lọc bớt danh sách rồi xuất lại.")
            % {"n": MAX_ATTEMPTS},
            finished_at=now,
        )
    )
    requeued = 0
    for pk in ExportJob.objects.stalled(cutoff).values_list("pk", flat=True):
        claimed = (
            ExportJob.objects.filter(pk=pk).stalled(cutoff).update(status=S.QUEUED, touched_at=now)
        )
        if claimed and enqueue_export(pk):
            requeued += 1
    return {
        "expired": expired,
        "given_up": given_up,
        "requeued": requeued,
        "orphans": _delete_orphans(storage, cutoff),
    }


def _delete_orphans(storage, cutoff) -> int:
    """Files no job holds (a former worker's, one kept before its job's update failed) stored
    before `cutoff`: a file is stored once built, just before its job's update, so no file of
    a live build is older."""
    try:
        _folders, names = storage.listdir("")
    except FileNotFoundError:  # no export kept yet
        return 0
    stale = [
        name for name in names if name.endswith(SUFFIX) and storage.get_modified_time(name) < cutoff
    ]
    held = set(
        ExportJob.objects.filter(stored_name__in=stale).values_list("stored_name", flat=True)
    )
    deleted = 0
    for name in stale:
        if name not in held:
            storage.delete(name)
            deleted += 1
    return deleted
