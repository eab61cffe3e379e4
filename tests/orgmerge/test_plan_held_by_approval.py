"""While a request to apply a merger plan is open (pending, or approved and not yet run), the
services themselves refuse to change the plan, discard it or apply it by another door, decided
on the locked plan; once the request is rejected, withdrawn or expired the plan changes again
(docs/approvals.md, "Applying a merger plan"; orgmerge.services.plans.require_no_open_request).
The page and the API show the refusal (a message, a 422 problem), never a 500."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from approvals.choices import ApprovalAction, ApprovalStatus
from approvals.models import Approval, ApprovalRule
from approvals.services import (
    approval_approve,
    approval_cancel,
    approval_reject,
    approval_run,
)
from orgmerge.choices import ActionKind, PlanStatus
from orgmerge.models import MergerPlan
from orgmerge.services import (
    merger_plan_apply,
    merger_plan_apply_request,
    merger_plan_create,
    merger_plan_discard,
    merger_plan_replan,
)
from portal.errors import DomainError
from portal.models import AuditEvent
from tests.api.calls import api_as
from tests.approvals.rules import expire
from tests.helpers import lock_waiters, postgresql_only, sign_in

# What the refusal says, and the page's own "chờ phê duyệt #N" badge does not.
WAITING = "không thể thay đổi, hủy hay thực hiện lại phương án"


def _plan(cast, world) -> MergerPlan:
    return merger_plan_create(
        sources=[cast.agency_a, cast.agency_b],
        case="a",
        target_name="Sở Tài chính và Y tế tỉnh Lai Châu",
        effective_on=world.effective_on,
        by=cast.officer_1,
    )


def _request(cast, plan) -> Approval:
    approval = merger_plan_apply_request(plan=plan, by=cast.officer_1, reason="Nghị quyết 05")
    assert approval is not None and approval.status == ApprovalStatus.PENDING
    return approval


def _replan(cast, world, plan):
    return merger_plan_replan(
        plan=plan,
        by=cast.officer_1,
        kept_certificate_id=world.org_cert_a.pk,
        leaving_person_ids=[world.person_b_leaving.pk],
    )


def _discard(cast, world, plan):
    return merger_plan_discard(plan=plan, by=cast.officer_1, note="Chờ nghị quyết mới")


def _replanned(world, plan) -> bool:
    plan.refresh_from_db()
    return (
        plan.leaving_person_ids == [world.person_b_leaving.pk]
        and plan.actions.filter(kind=ActionKind.RETURN_DEVICE, device=world.token).exists()
    )


def _discarded(world, plan) -> bool:
    plan.refresh_from_db()
    return plan.status == PlanStatus.DISCARDED


CHANGES = {
    "replan": (_replan, _replanned, "merger_plan.replan"),
    "discard": (_discard, _discarded, "merger_plan.discard"),
}


def _end(cast, approval, ending: str) -> None:
    if ending == "reject":
        approval_reject(approval=approval, by=cast.admin, reason="Chưa đủ căn cứ")
    elif ending == "cancel":
        approval_cancel(approval=approval, by=cast.officer_1, note="Lập lại phương án")
    else:
        expire(approval)


def _assert_refused(refused, approval, plan, audit_action) -> None:
    assert refused.value.code == "approval_open"
    assert f"#{approval.pk}" in refused.value.message
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT and plan.leaving_person_ids == []
    assert not AuditEvent.objects.filter(action=audit_action).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("ending", ["reject", "cancel", "expire"])
@pytest.mark.parametrize("change", list(CHANGES))
def test_a_change_is_refused_while_the_request_is_pending_and_works_once_it_ends(
    cast, world, change, ending
):
    act, done, audit_action = CHANGES[change]
    plan = _plan(cast, world)
    approval = _request(cast, plan)

    with pytest.raises(DomainError) as refused:
        act(cast, world, plan)
    _assert_refused(refused, approval, plan, audit_action)
    assert WAITING in refused.value.message and "người đề nghị hủy" in refused.value.message

    _end(cast, approval, ending)
    act(cast, world, plan)
    assert done(world, plan)
    assert AuditEvent.objects.filter(action=audit_action).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("change", list(CHANGES))
def test_an_approved_request_not_yet_run_holds_the_plan_too(cast, world, change):
    act, _done, audit_action = CHANGES[change]
    plan = _plan(cast, world)
    approval = _request(cast, plan)
    approval_approve(approval=approval, by=cast.admin)  # its run not delivered yet

    with pytest.raises(DomainError) as refused:
        act(cast, world, plan)
    _assert_refused(refused, approval, plan, audit_action)
    assert "đã được phê duyệt" in refused.value.message

    approval_run(approval_id=approval.pk)  # the request being run is the one that applies it
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.DONE, approval.outcome
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPLYING


@pytest.mark.django_db
def test_no_other_door_applies_the_plan_while_a_request_is_pending(cast, world):
    """A rule lifting the approval after the request was made does not let a second click,
    nor `merger_plan_apply` called directly, apply the plan past the pending request."""
    plan = _plan(cast, world)
    approval = _request(cast, plan)
    ApprovalRule.objects.create(action=ApprovalAction.MERGER_APPLY, required=False)

    with pytest.raises(DomainError) as refused:
        merger_plan_apply_request(plan=plan, by=cast.officer_1)
    _assert_refused(refused, approval, plan, "merger_plan.apply")
    with pytest.raises(DomainError) as refused:
        merger_plan_apply(plan=plan, by=cast.officer_1)
    _assert_refused(refused, approval, plan, "merger_plan.apply")

    approval_cancel(approval=approval, by=cast.officer_1)
    assert merger_plan_apply_request(plan=plan, by=cast.officer_1) is None  # at once, now
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPLYING


@pytest.mark.django_db
def test_the_page_says_why_the_choices_and_discard_are_refused(cast, world):
    plan = _plan(cast, world)
    approval = _request(cast, plan)
    client = sign_in(Client(), cast.officer_1)
    for name, data in (
        ("orgmerge:choices", {"kept_certificate": world.org_cert_a.pk}),
        ("orgmerge:discard", {"note": "Chờ nghị quyết mới"}),
    ):
        page = client.post(reverse(name, args=[plan.pk]), data, follow=True)
        assert page.status_code == 200, name
        body = page.content.decode()
        assert WAITING in body and f"#{approval.pk}" in body, name
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT and plan.kept_certificate_id is None


@pytest.mark.django_db
def test_the_api_discard_is_a_422_problem_while_the_request_is_pending(cast, world):
    plan = _plan(cast, world)
    approval = _request(cast, plan)
    answer = api_as(cast.officer_1).post(
        f"/api/v1/sap-nhap/{plan.pk}/huy/", {"note": "Chờ nghị quyết"}, format="json"
    )
    assert answer.status_code == 422, answer.json()
    assert answer.json()["code"] == "approval_open"
    assert f"#{approval.pk}" in answer.json()["detail"]
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_discard_waiting_on_the_plan_lock_sees_the_request_recorded_meanwhile(cast, world):
    """The refusal is decided on the locked plan: a discard that waited while the request was
    being recorded finds it once it holds the lock, and discards nothing."""
    postgresql_only("a discard waiting on the plan's row lock")
    plan = _plan(cast, world)
    outcome: list = []

    def discard():
        try:
            outcome.append(merger_plan_discard(plan=MergerPlan(pk=plan.pk), by=cast.officer_1))
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            outcome.append(exc)
        finally:
            connection.close()

    with transaction.atomic():
        MergerPlan.objects.select_for_update().get(pk=plan.pk)  # as the request's click does
        worker = threading.Thread(target=discard)
        worker.start()
        deadline = time.monotonic() + 30
        while not lock_waiters("%orgmerge_mergerplan%FOR UPDATE%"):
            assert time.monotonic() < deadline, "the discard never waited on the plan's lock"
            time.sleep(0.05)
        approval = _request(cast, plan)
    worker.join(timeout=60)
    assert not worker.is_alive(), "the discard hung"

    (refused,) = outcome
    assert isinstance(refused, DomainError) and refused.code == "approval_open", refused
    assert f"#{approval.pk}" in refused.message
    assert MergerPlan.objects.get(pk=plan.pk).status == PlanStatus.DRAFT
