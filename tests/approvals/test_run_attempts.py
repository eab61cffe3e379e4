"""An approved request whose action keeps raising is not queued again for ever
(docs/approvals.md, "A run that keeps failing"): each run counts its attempt before the action
runs, the stall sweep queues it again PORTAL_APPROVAL_RUN_STALL_SECONDS after that attempt's
claim, and after PORTAL_APPROVAL_RUN_MAX_ATTEMPTS attempts it is failed with the error's class
(never its message), audited, and its requester told. Copies of a run's message arriving
together spend one attempt, not all of them, and never fail the request under a running one.

The kind under test is registered through the registry as every app registers its own
(`approval_kind_register`), for objects of a type of its own, so no shipped kind is replaced;
the queue is the list of requests the approval and the sweep sent (the broker's side: the
worker's body runs here, as tests/requests_app/test_poison_letter.py does). Time passes by
moving the requests' approval and claim times back in the database, as a later clock sees
them."""

import threading
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.choices import Role
from approvals.choices import ApprovalAction, ApprovalStatus
from approvals.models import Approval
from approvals.registry import ApprovalKind, approval_kind_register
from approvals.services import (
    approval_approve,
    approval_request,
    approval_run,
    approvals_resume_stalled,
)
from approvals.tasks import approval_run_task
from portal.models import AuditEvent, Notification
from tests import factories as f
from tests.helpers import lease_on, lock_waiters, postgresql_only

pytestmark = pytest.mark.django_db

OBJECT_TYPE = "thu_nghiem_loi"
# What the failing action's error says: personal data that must not reach the request's
# outcome, its audit event or its notices.
SECRET = "CCCD 001099012345 của Nguyễn Văn An"
STALL = 300  # PORTAL_APPROVAL_RUN_STALL_SECONDS in these tests


@pytest.fixture
def action(settings):
    """A kind whose action removes the holder's authenticator and then raises RuntimeError
    while `failures` is not empty (each run takes the last one out); `calls`: the runs it
    received."""
    settings.PORTAL_APPROVAL_RUN_MAX_ATTEMPTS = 3
    settings.PORTAL_APPROVAL_RUN_STALL_SECONDS = STALL
    state = SimpleNamespace(
        calls=[], failures=[RuntimeError(SECRET) for _ in range(10)], started=None, hold=None
    )

    def run(approval, requester, approver):
        state.calls.append(approval.pk)
        if state.hold is not None:  # a slow action: it runs until the test lets it end
            state.started.set()
            state.hold.wait(60)
        TOTPDevice.objects.filter(user_id=approval.params["user_id"]).delete()
        if state.failures:
            raise state.failures.pop()
        return "Đã đặt lại."

    approval_kind_register(
        ApprovalKind(
            action=ApprovalAction.TWO_FACTOR_RESET,
            approver_roles=(Role.ADMINISTRATOR,),
            run=run,
            object_type=OBJECT_TYPE,
        )
    )
    return state


@pytest.fixture
def queued(monkeypatch):
    """The requests the approval and the sweep put on the queue."""
    sent: list[int] = []
    for module in ("approvals.services.moves", "approvals.services.running"):
        monkeypatch.setattr(f"{module}.enqueue", lambda name, pk, **kw: sent.append(pk) or True)
    return sent


@pytest.fixture
def approved(cast, admin_2, action, queued):
    holder = f.UserFactory(username="mat.dien.thoai")
    TOTPDevice.objects.create(user=holder, name="Điện thoại", confirmed=True)
    approval = approval_request(
        action=ApprovalAction.TWO_FACTOR_RESET,
        object_key=f"{OBJECT_TYPE}:{holder.pk}",
        object_label=holder.username,
        params={"user_id": holder.pk},
        by=cast.admin,
        reason="Mất điện thoại",
    )
    approval_approve(approval=approval, by=admin_2)
    return approval


def _later(seconds: int = STALL + 1) -> None:
    """The clock moves on by `seconds`: every request's approval and last claim are that much
    older (a claim never made stays none)."""
    Approval.objects.update(
        decided_at=F("decided_at") - timedelta(seconds=seconds),
        run_claimed_at=F("run_claimed_at") - timedelta(seconds=seconds),
    )


def _sweep(queued) -> list[int]:
    """Beat's sweep once the stall time has passed, then the worker takes what it queued."""
    _later()
    queued.clear()
    approvals_resume_stalled()
    sent = list(queued)
    for pk in sent:
        approval_run_task.apply(args=[pk])
    return sent


def test_an_action_that_raises_is_tried_max_times_through_the_sweep_then_failed_never_again(
    approved, action, queued
):
    holder_id = approved.params["user_id"]
    approval_run(approval_id=approved.pk)  # the task queued by the approval
    for attempt in (1, 2):
        approved.refresh_from_db()
        assert (approved.status, approved.run_attempts) == (ApprovalStatus.APPROVED, attempt)
        assert approved.run_error == "RuntimeError"
        assert timezone.now() - approved.run_claimed_at < timedelta(seconds=60)
        # the action's work is rolled back with it, the attempt's count is not
        assert TOTPDevice.objects.filter(user_id=holder_id).exists()
        assert _sweep(queued) == [approved.pk]

    approved.refresh_from_db()
    assert approved.status == ApprovalStatus.FAILED
    assert approved.run_attempts == 3
    assert len(action.calls) == 3
    assert approved.ran_at is not None
    assert approved.transitions.filter(action="fail").count() == 1
    # never run again: not queued by the sweep, and a stray delivery does nothing
    assert _sweep(queued) == []
    approval_run(approval_id=approved.pk)
    assert len(action.calls) == 3
    assert (
        AuditEvent.objects.filter(action="approval.fail", object_id=str(approved.pk)).count() == 1
    )
    assert TOTPDevice.objects.filter(user_id=holder_id).exists()


def test_the_failure_names_the_error_class_never_its_message_and_tells_both_people(
    cast, admin_2, approved, queued
):
    approval_run(approval_id=approved.pk)
    _sweep(queued)
    _sweep(queued)

    approved.refresh_from_db()
    assert "RuntimeError" in approved.outcome
    assert "3 lần thử" in approved.outcome
    assert SECRET not in approved.outcome
    (failed,) = AuditEvent.objects.filter(action="approval.fail", object_id=str(approved.pk))
    assert failed.actor == cast.admin
    assert (failed.after["attempts"], failed.after["status"]) == (3, "failed")
    attempts = AuditEvent.objects.filter(
        action="approval.attempt_failed", object_id=str(approved.pk)
    )
    assert sorted(e.after["attempt"] for e in attempts) == [1, 2, 3]
    assert all(e.after["error"] == "RuntimeError" for e in attempts)
    assert not any(SECRET in str(e.after) + e.reason for e in [failed, *attempts])
    told = Notification.objects.filter(key=f"approval:{approved.pk}:fail")
    assert sorted(told.values_list("user__username", flat=True)) == ["admin", "admin_2"]
    assert all(SECRET not in n.message and "RuntimeError" in n.message for n in told)


def test_a_request_whose_action_succeeds_on_a_later_attempt_is_done(approved, action, queued):
    approval_run(approval_id=approved.pk)
    action.failures.clear()  # the cause is gone (a database back, a service answering)
    _sweep(queued)

    approved.refresh_from_db()
    assert (approved.status, approved.run_attempts) == (ApprovalStatus.DONE, 2)
    assert approved.outcome == "Đã đặt lại."
    assert not TOTPDevice.objects.filter(user_id=approved.params["user_id"]).exists()


def test_a_request_whose_worker_died_at_each_attempt_is_failed_without_running(approved, action):
    """A worker killed in the middle leaves no error, only the attempts it claimed."""
    Approval.objects.filter(pk=approved.pk).update(
        run_attempts=3, run_claimed_at=timezone.now() - timedelta(seconds=STALL + 1)
    )

    approval_run(approval_id=approved.pk)

    approved.refresh_from_db()
    assert approved.status == ApprovalStatus.FAILED
    assert "3 lần thử" in approved.outcome and "dừng giữa chừng" in approved.outcome
    assert action.calls == []


def test_the_database_refuses_a_negative_count_of_attempts(approved):
    with pytest.raises(IntegrityError), transaction.atomic():
        Approval.objects.filter(pk=approved.pk).update(run_attempts=-1)
    approved.refresh_from_db()
    assert approved.run_attempts == 0


def test_a_sweep_right_after_a_failed_attempt_waits_the_stall_time_from_that_attempt(
    approved, action, queued
):
    """Approved long ago (a queue backlog): the sweep counts the stall time from the failed
    attempt's claim, not from the approval."""
    _later(3600)
    approval_run(approval_id=approved.pk)
    approved.refresh_from_db()
    assert (approved.status, approved.run_attempts) == (ApprovalStatus.APPROVED, 1)

    queued.clear()
    assert approvals_resume_stalled() == 0
    assert approvals_resume_stalled(now=timezone.now() + timedelta(seconds=STALL - 30)) == 0
    assert queued == []

    assert _sweep(queued) == [approved.pk]
    approved.refresh_from_db()
    assert (approved.status, approved.run_attempts) == (ApprovalStatus.APPROVED, 2)
    assert len(action.calls) == 2


def test_a_request_whose_run_holds_a_live_lease_is_not_queued_until_that_lease_runs_out(
    approved, action, queued
):
    """Claimed long ago, but its run's lease (renewed from the worker's heartbeat while the
    action runs) ends a second from now: the sweep leaves it, and a copy of its message
    neither counts nor runs it. A lease that ran out a second ago is a dead worker's: the
    sweep queues it, and the copy it sends claims attempt 2."""
    approval_run(approval_id=approved.pk)  # attempt 1 raised
    _later()
    lease = lease_on(approved, expires_in=1)
    queued.clear()

    assert approvals_resume_stalled() == 0
    approval_run(approval_id=approved.pk)
    approved.refresh_from_db()
    assert (approved.run_attempts, len(action.calls), queued) == (1, 1, [])

    lease.delete()
    lease_on(approved, expires_in=-1)
    assert _sweep(queued) == [approved.pk]
    approved.refresh_from_db()
    assert (approved.run_attempts, len(action.calls)) == (2, 2)


def test_copies_of_the_message_arriving_together_spend_one_attempt_not_all(
    approved, action, queued
):
    """A backlog delivers the approval's message and the sweep's copies one after another:
    the first claims and runs an attempt, the others find it claimed moments ago."""
    _later(3600)
    for _copy in range(4):
        approval_run(approval_id=approved.pk)

    approved.refresh_from_db()
    assert (approved.status, approved.run_attempts) == (ApprovalStatus.APPROVED, 1)
    assert len(action.calls) == 1
    assert not AuditEvent.objects.filter(action="approval.fail", object_id=str(approved.pk))


def test_a_worker_dying_on_the_last_attempt_fails_it_without_the_earlier_error_class(
    approved, action, queued
):
    """The third attempt's worker stops in the middle of the action (its transaction rolled
    back, as when the process is killed): the claim cleared the class the second attempt
    left, so the outcome says the run stopped; a copy arriving right after that claim
    neither counts nor fails the request."""
    action.failures[:] = [SystemExit(1), RuntimeError(SECRET), RuntimeError(SECRET)]
    approval_run(approval_id=approved.pk)
    _later()
    approval_run(approval_id=approved.pk)
    approved.refresh_from_db()
    assert (approved.run_attempts, approved.run_error) == (2, "RuntimeError")

    _later()
    with pytest.raises(SystemExit):
        approval_run(approval_id=approved.pk)
    approved.refresh_from_db()
    assert (approved.status, approved.run_attempts) == (ApprovalStatus.APPROVED, 3)
    assert approved.run_error == ""

    approval_run(approval_id=approved.pk)  # a copy, right after the claim
    approved.refresh_from_db()
    assert (approved.status, approved.run_attempts) == (ApprovalStatus.APPROVED, 3)
    assert len(action.calls) == 3

    assert _sweep(queued) == [approved.pk]
    approved.refresh_from_db()
    assert approved.status == ApprovalStatus.FAILED
    assert "3 lần thử" in approved.outcome and "dừng giữa chừng" in approved.outcome
    assert "RuntimeError" not in approved.outcome
    assert len(action.calls) == 3


# The claim's statement as pg_stat_activity shows it (cut before its FROM).
CLAIM = 'SELECT "approvals_approval".%'


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_copies_claiming_the_last_attempt_at_once_run_it_once_to_done(
    cast, approved, action, queued
):
    """Two deliveries of the last attempt's message wait on the request's lock, the first in
    line ahead: once the lock is free the first claims the attempt and commits; the second,
    woken by that commit, usually takes the lock before the first's run asks for it again (a
    round trip away) and finds a claim moments old, so it returns the request still
    approved, neither counted nor failed; the first's run then carries it out. Were the
    first's run quicker, the second would find it done: never failed either way."""
    postgresql_only("two deliveries waiting on the request's row lock")
    approval_run(approval_id=approved.pk)
    _later()
    approval_run(approval_id=approved.pk)
    _later()
    action.failures.clear()  # the cause is gone by the last attempt
    results: list = [None, None]

    def deliver(i):
        try:
            results[i] = approval_run(approval_id=approved.pk).status
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            results[i] = exc
        finally:
            connection.close()

    copies = [threading.Thread(target=deliver, args=(i,)) for i in (0, 1)]
    with transaction.atomic():
        Approval.objects.select_for_update().get(pk=approved.pk)  # until both copies wait
        for waiting, copy in enumerate(copies, start=1):
            copy.start()
            deadline = time.monotonic() + 30
            while lock_waiters(CLAIM) < waiting:
                assert time.monotonic() < deadline, "a copy never waited on the request's lock"
                time.sleep(0.05)
    for copy in copies:
        copy.join(timeout=60)
    assert not any(copy.is_alive() for copy in copies), "a copy hung"

    assert ApprovalStatus.DONE in results, results
    assert set(results) <= {ApprovalStatus.APPROVED, ApprovalStatus.DONE}, results
    approved.refresh_from_db()
    assert (approved.status, approved.run_attempts) == (ApprovalStatus.DONE, 3)
    assert approved.outcome == "Đã đặt lại."
    assert len(action.calls) == 3
    assert not AuditEvent.objects.filter(action="approval.fail", object_id=str(approved.pk))
    assert not TOTPDevice.objects.filter(user_id=approved.params["user_id"]).exists()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_run_slower_than_the_stall_time_is_neither_queued_again_nor_waited_on_by_a_copy(
    cast, approved, action, queued, settings
):
    """The action takes longer than the stall time, in a thread with its own database
    connection as another worker would run it: its run's lease, renewed from the heartbeat
    (well past a lease's length), keeps beat's sweep from queuing it again, and a copy of its
    message returns at once without waiting on the run's lock or counting an attempt. The
    run ends done on its one attempt (docs/approvals.md, "A run that keeps failing")."""
    postgresql_only("a run holding the request's row lock while a copy arrives")
    settings.PORTAL_APPROVAL_RUN_STALL_SECONDS = 1
    settings.PORTAL_WORK_LEASE_SECONDS = 1
    action.failures.clear()
    action.started, action.hold = threading.Event(), threading.Event()
    result: list = []

    def deliver():
        try:
            result.append(approval_run(approval_id=approved.pk).status)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            result.append(exc)
        finally:
            connection.close()

    worker = threading.Thread(target=deliver)
    worker.start()
    try:
        assert action.started.wait(30), "the run never started"
        time.sleep(2.5)  # past the stall time, and past a lease nobody renewed
        queued.clear()
        assert approvals_resume_stalled() == 0
        assert queued == []
        began = time.monotonic()
        copy = approval_run(approval_id=approved.pk)
        assert time.monotonic() - began < 1, "the copy waited on the running run's lock"
        assert (copy.status, copy.run_attempts) == (ApprovalStatus.APPROVED, 1)
    finally:
        action.hold.set()
        worker.join(timeout=60)
    assert result == [ApprovalStatus.DONE]
    approved.refresh_from_db()
    assert (approved.status, approved.run_attempts) == (ApprovalStatus.DONE, 1)
    assert len(action.calls) == 1
    assert approvals_resume_stalled() == 0
