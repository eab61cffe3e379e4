"""An approved request whose action keeps raising is not queued again for ever
(docs/approvals.md, "A run that keeps failing"): each run counts its attempt before the action
runs, the stall sweep queues it again, and after PORTAL_APPROVAL_RUN_MAX_ATTEMPTS attempts it is
failed with the error's class (never its message), audited, and its requester told.

The kind under test is registered through the registry as every app registers its own
(`approval_kind_register`), for objects of a type of its own, so no shipped kind is replaced;
the queue is the list of requests the sweep sent (the broker's side: the worker's body runs
here, as tests/requests_app/test_poison_letter.py does)."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import IntegrityError, transaction
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

pytestmark = pytest.mark.django_db

OBJECT_TYPE = "thu_nghiem_loi"
# What the failing action's error says: personal data that must not reach the request's
# outcome, its audit event or its notices.
SECRET = "CCCD 001099012345 của Nguyễn Văn An"


@pytest.fixture
def action(settings):
    """A kind whose action removes the holder's authenticator and then raises RuntimeError
    while `failures` is not empty (each run takes one out); `calls`: the runs it received."""
    settings.PORTAL_APPROVAL_RUN_MAX_ATTEMPTS = 3
    settings.PORTAL_APPROVAL_RUN_STALL_SECONDS = 300
    state = SimpleNamespace(calls=[], failures=[RuntimeError(SECRET) for _ in range(10)])

    def run(approval, requester, approver):
        state.calls.append(approval.pk)
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
    """The requests the sweep put on the queue."""
    sent: list[int] = []
    monkeypatch.setattr(
        "approvals.services.running.enqueue", lambda name, pk, **kw: sent.append(pk) or True
    )
    return sent


@pytest.fixture
def approved(cast, admin_2, action):
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


def _sweep(queued) -> list[int]:
    """Beat's sweep once the stall window has passed, then the worker takes what it queued."""
    queued.clear()
    approvals_resume_stalled(now=timezone.now() + timedelta(seconds=301))
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
    Approval.objects.filter(pk=approved.pk).update(run_attempts=3)

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
