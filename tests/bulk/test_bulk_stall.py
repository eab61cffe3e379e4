"""A bulk job is queued again only when its worker is dead, never while it works
(docs/bulk.md, "Guarantees"), with real worker and beat processes on a Redis of the test's
own: a worker alive but slower than the stall window (each batch sleeps in the database,
tests/slowdown.py) is never taken for stalled, by the sweep or by a reader; a killed worker's
job is queued again once its lease runs out, and that counts as an attempt."""

import time

import pytest
from django.db import connection
from django.utils import timezone

from bulk.choices import ItemStatus, JobStatus
from bulk.models import BulkJob
from bulk.services import bulk_job_create
from portal.models import AuditEvent
from tests.bulk.world import certificates_of
from tests.celery_processes import CeleryProcesses, producing_to, wait_until
from tests.helpers import lock_waiters, postgresql_only
from tests.slowdown import slow_down, speed_up

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ITEMS, BATCH, STALL = 6, 2, 2
KNOBS = {
    "PORTAL_BULK_BATCH": BATCH,
    "PORTAL_PROCESSING_STALL_SECONDS": STALL,
    "PORTAL_PROCESSING_SWEEP_SECONDS": 1,
    "PORTAL_WORK_LEASE_SECONDS": 3,
}
# The sweep's lock on a job, as pg_stat_activity shows it.
SWEEP_LOCK = 'SELECT %FROM "bulk_bulkjob"%FOR UPDATE%'


@pytest.fixture
def slow_items():
    """Each item's move from pending sleeps 2 s: a batch of 2 takes twice the stall window.
    Dropped whatever happens (this test commits)."""
    if connection.vendor != "postgresql":
        postgresql_only("the worker fault tests")
    slow_down("bulk_bulkitem", "OLD.status = 'pending' AND NEW.status <> 'pending'", 2)
    yield
    speed_up("bulk_bulkitem")


@pytest.fixture
def celery(own_redis, tmp_path):
    groups = []

    def start():
        group = CeleryProcesses(own_redis.url, tmp_path, **KNOBS)
        groups.append(group)
        return group

    yield start
    for group in groups:
        group.stop_all()


def _remind(cast, broker_url) -> BulkJob:
    certificates_of(cast.agency_a, ITEMS)
    with producing_to(broker_url):
        return bulk_job_create(
            register="certificates", query=f"agency={cast.agency_a.pk}", action="remind",
            params={}, reason="Sắp hết hạn", by=cast.ca_operator,
        )  # fmt: skip


def _requeues(job) -> int:
    return AuditEvent.objects.filter(action="bulk_job.requeue", object_id=str(job.pk)).count()


def _assert_done_once(job) -> None:
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.outcome
    assert (job.done_count, job.failed_count, job.skipped_count) == (ITEMS, 0, 0)
    assert set(job.items.values_list("status", flat=True)) == {ItemStatus.DONE}


@pytest.mark.usefixtures("slow_items")
def test_a_job_slower_than_the_stall_window_is_never_taken_for_stalled_while_its_worker_works(
    cast, own_redis, celery, settings
):
    settings.PORTAL_PROCESSING_STALL_SECONDS = STALL
    group = celery()
    group.worker()  # the job's
    group.worker()  # the sweeps' (same queue): free while the first works
    group.beat()
    group.wait_ready(2)
    job = _remind(cast, own_redis.url)

    silent = seen_stalled = sweeps_held = 0
    deadline = time.monotonic() + 120
    while job.status != JobStatus.DONE:
        assert time.monotonic() < deadline, f"{job.status}\n{group.logs()}"
        now = timezone.now()
        seen_stalled += BulkJob.objects.stalled(now, STALL).filter(pk=job.pk).count()
        sweeps_held += lock_waiters(SWEEP_LOCK)
        job.refresh_from_db()
        if job.status == JobStatus.RUNNING and (now - job.progress_at).total_seconds() > STALL:
            silent += 1
        time.sleep(0.2)

    assert silent > 5, "the batches never outlasted the stall window"
    # Never taken for stalled: not by a reader, not by a sweep (which never even waited on
    # the running batch's lock), never queued again, one attempt.
    assert (seen_stalled, sweeps_held, _requeues(job), job.attempts) == (0, 0, 0, 1)
    _assert_done_once(job)


@pytest.mark.usefixtures("slow_items")
def test_a_killed_workers_job_is_queued_again_once_its_lease_runs_out_and_counted(
    cast, own_redis, celery
):
    first = celery()
    doomed = first.worker()
    first.wait_ready(1)
    job = _remind(cast, own_redis.url)
    wait_until(
        lambda: BulkJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING).exists(),
        60,
        first.logs,
    )
    time.sleep(1)  # inside its first batch
    first.kill(doomed)

    second = celery()
    second.worker()
    second.worker()
    second.wait_ready(2)
    second.beat()
    wait_until(
        lambda: BulkJob.objects.filter(pk=job.pk, status=JobStatus.DONE).exists(),
        120,
        second.logs,
    )
    job.refresh_from_db()
    assert (_requeues(job), job.attempts) == (1, 2)
    _assert_done_once(job)
