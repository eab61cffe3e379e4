"""A bulk job whose batch keeps raising is not tried for ever (docs/bulk.md, "Guarantees"):
each claim by a worker is counted (and the count survives the failing batch's rollback), the
stall sweep queues it again until its PORTAL_BULK_MAX_ATTEMPTS-th attempt, which fails it
with the kind of error (never the error's text), audited, its requester told; a revocation
that fails after revoking some certificates still queues their CRL, once.

The worker's body runs in the test's process; the broker is the list of what the services
queued."""

from datetime import timedelta

import pytest
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from bulk.actions import ACTIONS, ActionSpec
from bulk.choices import BulkAction, ItemStatus, JobStatus, Register
from bulk.models import BulkJob
from bulk.services import RUN_TASK, bulk_job_create, bulk_job_run, bulk_jobs_sweep
from certificates.choices import CertStatus, RevocationReason
from certificates.models import Certificate
from portal.models import AuditEvent, Notification
from tests.bulk.meanwhile import refuse_update
from tests.bulk.world import certificates_of, devices_of
from tests.helpers import lease_on

pytestmark = pytest.mark.django_db
# What an error's text may carry: it must reach neither the page nor the audit nor a notice.
PERSONAL = "Nguyễn Văn An, CCCD 001234567890"
CRL_TASK = "certificates.tasks.crl_publish_task"


@pytest.fixture
def queued(monkeypatch):
    """The jobs the services sent to the broker (the broker itself: test_bulk_worker)."""
    sent: list[int] = []

    def send(name, *args, what):
        assert name == RUN_TASK
        sent.append(args[0])
        return True

    monkeypatch.setattr("bulk.services.enqueue", send)
    return sent


@pytest.fixture
def exploding(monkeypatch):
    """A bulk action whose every batch raises a RuntimeError carrying personal data, taken on
    a register that has no action of that name (nothing shipped is replaced); the list of
    the batches it was asked to do."""
    calls: list[list[int]] = []

    def run_batch(job, ids):
        calls.append(ids)
        raise RuntimeError(PERSONAL)

    spec = ActionSpec(
        action=BulkAction.REMIND,
        register=Register.DEVICES,
        allowed=lambda scope: scope.is_ca,
        clean_params=lambda rows, params, by: {},
        run_batch=run_batch,
    )
    monkeypatch.setitem(ACTIONS, (Register.DEVICES, BulkAction.REMIND), spec)
    return calls


def _remind(cast):
    return bulk_job_create(
        register="certificates", query=f"agency={cast.agency_a.pk}", action="remind",
        params={}, reason="Sắp hết hạn", by=cast.ca_operator,
    )  # fmt: skip


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """Beat's sweep, its transaction committed: what it queues is sent."""

    def run() -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return bulk_jobs_sweep()

    return run


def _stall(job) -> None:
    """The stall window passes without a sign of life."""
    BulkJob.objects.filter(pk=job.pk).update(progress_at=timezone.now() - timedelta(hours=1))


def test_a_job_whose_batch_always_raises_is_tried_max_times_then_failed_and_not_again(
    cast, settings, queued, sweep, exploding, django_capture_on_commit_callbacks
):
    settings.PORTAL_BULK_MAX_ATTEMPTS = 3
    devices_of(cast.agency_a, 4)
    with django_capture_on_commit_callbacks(execute=True):
        job = bulk_job_create(
            register="devices", query=f"agency={cast.agency_a.pk}", action="remind",
            params={}, reason="Kiểm kê", by=cast.ca_operator,
        )  # fmt: skip
    assert (job.status, job.attempts, queued) == (JobStatus.QUEUED, 0, [job.pk])

    for attempt in (1, 2):
        with pytest.raises(RuntimeError):  # a fault is the worker's to log
            bulk_job_run(job_id=queued.pop())
        job.refresh_from_db()
        # the attempt counted although its batch was rolled back; nothing done
        assert (job.status, job.attempts) == (JobStatus.RUNNING, attempt)
        assert job.items.pending().count() == 4
        _stall(job)
        assert sweep() == 1 and queued == [job.pk]

    ended = bulk_job_run(job_id=queued.pop())  # the last attempt: failed, not raised

    assert len(exploding) == 3
    job.refresh_from_db()
    assert ended.pk == job.pk and (job.status, job.attempts) == (JobStatus.FAILED, 3)
    assert "RuntimeError" in job.outcome and "3 lần" in job.outcome
    assert job.finished_at is not None
    event = AuditEvent.objects.get(action="bulk_job.fail", object_id=str(job.pk))
    assert event.after["error"] == "RuntimeError" and event.after["attempts"] == 3
    told = Notification.objects.get(user=cast.ca_operator, key=f"bulk_job:{job.pk}:end")
    assert job.outcome in told.message
    for text in (job.outcome, event.reason, str(event.after), told.message):
        assert "Nguyễn" not in text and "001234567890" not in text

    # Not tried again: the sweep leaves it, a stray message finds it ended.
    _stall(job)
    assert sweep() == 0 and queued == []
    bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts, len(exploding)) == (JobStatus.FAILED, 3, 3)
    assert AuditEvent.objects.filter(action="bulk_job.fail").count() == 1


def test_a_job_whose_last_attempt_stalls_is_failed_by_the_sweep(cast, settings, queued, sweep):
    """A worker killed by the job each time leaves no error: the sweep gives it up."""
    settings.PORTAL_BULK_MAX_ATTEMPTS = 2
    certificates_of(cast.agency_a, 3)
    job = _remind(cast)
    bulk_job_run(job_id=job.pk, batches=0)  # claimed, then the worker dies
    _stall(job)
    assert sweep() == 1
    bulk_job_run(job_id=queued.pop(), batches=0)  # the last attempt: the worker dies again
    _stall(job)
    assert sweep() == 1  # failed, not queued

    job.refresh_from_db()
    assert (job.status, job.attempts, queued) == (JobStatus.FAILED, 2, [])
    assert job.outcome == "Không thành công sau 2 lần thực hiện: lần cuối dừng giữa chừng."
    assert job.items.pending().count() == 3  # nothing was done
    assert Notification.objects.filter(key=f"bulk_job:{job.pk}:end").exists()


def test_a_job_whose_worker_holds_a_live_lease_is_not_stalled_until_that_lease_runs_out(
    cast, queued, sweep
):
    """Running, idle past the window, but its worker's lease (renewed from the worker's
    heartbeat while a batch runs) ends a second from now: the sweep leaves it. A lease that
    ran out a second ago is a dead worker's: queued again, and the next claim counts."""
    certificates_of(cast.agency_a, 3)
    job = _remind(cast)
    bulk_job_run(job_id=job.pk, batches=0)  # claimed: attempt 1, running
    _stall(job)
    lease = lease_on(job, expires_in=1)

    assert sweep() == 0
    job.refresh_from_db()
    assert (job.status, job.attempts, queued) == (JobStatus.RUNNING, 1, [])

    lease.delete()
    lease_on(job, expires_in=-1)
    assert sweep() == 1
    assert queued == [job.pk]
    bulk_job_run(job_id=queued.pop())
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.DONE, 2)


def test_a_message_delivered_again_while_the_job_runs_neither_runs_it_nor_spends_an_attempt(
    cast, settings, queued, sweep
):
    """Deliveries of a running job (a message delivered twice, one the sweep sent while it
    waited in a backlog) leave it to the worker that has it: the attempts count workers
    that took it, not messages. The job stalls, the sweep queues it again: attempt 2."""
    settings.PORTAL_BULK_MAX_ATTEMPTS = 2
    settings.PORTAL_BULK_BATCH = 1
    certificates_of(cast.agency_a, 3)
    job = _remind(cast)
    bulk_job_run(job_id=job.pk, batches=1)  # a worker has it: one batch done so far
    for _copy in range(3):
        bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.done_count) == (JobStatus.RUNNING, 1, 1)

    _stall(job)  # that worker is lost
    assert sweep() == 1 and queued == [job.pk]
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    assert AuditEvent.objects.filter(action="bulk_job.requeue", object_id=str(job.pk)).exists()
    bulk_job_run(job_id=queued.pop())
    job.refresh_from_db()
    assert (job.status, job.attempts, job.done_count) == (JobStatus.DONE, 2, 3)


def test_a_job_queued_with_no_attempt_left_is_failed_without_running(cast, settings, queued):
    """A limit lowered while a job waited: the worker taking it fails it, running nothing."""
    certificates_of(cast.agency_a, 2)
    job = _remind(cast)
    BulkJob.objects.filter(pk=job.pk).update(attempts=3)
    settings.PORTAL_BULK_MAX_ATTEMPTS = 3
    bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.done_count) == (JobStatus.FAILED, 3, 0)
    assert job.items.pending().count() == 2


def test_the_database_refuses_a_negative_attempt_count(cast):
    certificates_of(cast.agency_a, 1)
    job = _remind(cast)
    with (
        pytest.raises(IntegrityError, match="bulk_job_attempts_not_negative"),
        transaction.atomic(),
    ):
        BulkJob.objects.filter(pk=job.pk).update(attempts=-1)


def test_a_revocation_failed_after_some_batches_queues_their_crl_once(
    cast, ca, settings, queued, sweep, monkeypatch, django_capture_on_commit_callbacks
):
    settings.PORTAL_BULK_BATCH = 2
    settings.PORTAL_BULK_MAX_ATTEMPTS = 3
    crls = []
    monkeypatch.setattr(
        "certificates.services.common.enqueue",
        lambda name, *args, what: crls.append((name, args)) or True,
    )
    ids = certificates_of(cast.agency_a, 5, issuer=ca.issuing)
    # the last certificate's row cannot be written: its batch (the third) always raises
    refuse_update(Certificate, ids[-1], "the registry refused the row")
    job = bulk_job_create(
        register="certificates", query=f"agency={cast.agency_a.pk}", action="revoke",
        params={"reason": RevocationReason.KEY_COMPROMISE}, reason="Lộ khóa", by=cast.ca_operator,
    )  # fmt: skip
    assert job.status == JobStatus.QUEUED

    raised = []
    for _attempt in (1, 2):
        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(DatabaseError) as fault,
        ):
            bulk_job_run(job_id=job.pk)
        raised.append(type(fault.value).__name__)
        assert crls == []  # still running: its CRL waits for the end
        _stall(job)
        assert sweep() == 1  # queued again
    with django_capture_on_commit_callbacks(execute=True):
        bulk_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.done_count, job.attempts) == (JobStatus.FAILED, 4, 3)
    assert raised[0] in job.outcome and "refused" not in job.outcome
    assert job.items.get(object_id=ids[-1]).status == ItemStatus.PENDING
    assert Certificate.objects.filter(status=CertStatus.REVOKED).count() == 4
    # one CRL for the job's end, not one per batch or per attempt
    assert crls == [(CRL_TASK, (ca.issuing.pk,))]


def test_a_failed_revocation_that_revoked_nothing_queues_no_crl(
    cast, ca, settings, queued, monkeypatch, django_capture_on_commit_callbacks
):
    settings.PORTAL_BULK_MAX_ATTEMPTS = 1
    crls = []
    monkeypatch.setattr(
        "certificates.services.common.enqueue",
        lambda name, *args, what: crls.append((name, args)) or True,
    )
    ids = certificates_of(cast.agency_a, 2, issuer=ca.issuing)
    refuse_update(Certificate, ids[0], "the registry refused the row")
    job = bulk_job_create(
        register="certificates", query=f"agency={cast.agency_a.pk}", action="revoke",
        params={"reason": RevocationReason.KEY_COMPROMISE}, reason="Lộ khóa", by=cast.ca_operator,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.done_count) == (JobStatus.FAILED, 0)
    assert crls == []
