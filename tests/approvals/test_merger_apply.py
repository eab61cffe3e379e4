"""Applying a merger plan waits for a second person (docs/approvals.md): another provincial
officer of the plan's province or an administrator. The page and the API record the request;
the plan page tells it ("chờ phê duyệt #N"); once approved, `merger_plan_apply` runs once, as
the requester."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agencies.choices import Role
from approvals.choices import ApprovalAction
from approvals.models import Approval
from approvals.services import approval_approve
from orgmerge.choices import MergerCase, PlanStatus
from orgmerge.services import merger_plan_create
from portal.errors import DomainError
from tests import factories as f
from tests.api.calls import api_as
from tests.api.spoiled import api_reauth
from tests.approvals.rules import (
    approve_and_run,
    assert_cannot_approve,
    expire,
    race_approvals,
    reject,
    twin_of,
)
from tests.helpers import reauth_for, sign_in


def _plan(cast):
    return merger_plan_create(
        sources=[cast.agency_a, cast.agency_b],
        case=MergerCase.KEEPS_NAME,
        target=cast.agency_a,
        effective_on=timezone.localdate() + timedelta(days=10),
        by=cast.officer_1,
    )


def _officer(cast, username):
    user = f.UserFactory(username=username)
    f.MembershipFactory(user=user, role=Role.PROVINCIAL_OFFICER, organization=cast.office_1)
    return user


def _request_on_page(cast, plan):
    client = sign_in(Client(), cast.officer_1)
    client.post(
        reverse("orgmerge:apply", args=[plan.pk]),
        {**reauth_for(client), "reason": "Nghị quyết 05/NQ-HĐND"},
    )
    return Approval.objects.get(action=ApprovalAction.MERGER_APPLY)


def _status(plan):
    plan.refresh_from_db()
    return plan.status


@pytest.fixture
def plan(cast):
    return _plan(cast)


@pytest.fixture
def requested(cast, plan):
    return _request_on_page(cast, plan)


def test_the_page_records_a_request_and_tells_it(cast, plan, requested):
    assert requested.object_key == f"merger_plan:{plan.pk}"
    assert requested.organization == cast.province_1
    assert requested.reason == "Nghị quyết 05/NQ-HĐND"
    assert _status(plan) == PlanStatus.DRAFT
    page = sign_in(Client(), cast.officer_1).get(reverse("orgmerge:detail", args=[plan.pk]))
    body = page.content.decode()
    assert f"chờ phê duyệt #{requested.pk}" in body
    assert reverse("orgmerge:apply", args=[plan.pk]) not in body  # no second request


def test_the_api_records_a_request(cast, plan):
    answer = api_as(cast.officer_1).post(
        f"/api/v1/sap-nhap/{plan.pk}/thuc-hien/", api_reauth(cast.officer_1), format="json"
    )
    assert answer.status_code == 202, answer.json()
    approval = Approval.objects.get()
    assert answer.json()["approval"] == {"id": approval.pk, "status": "pending"}
    assert _status(plan) == PlanStatus.DRAFT


def test_the_requester_cannot_approve_it_anywhere_nor_under_a_second_account(cast, plan, requested):
    assert_cannot_approve(requested, cast.officer_1)
    twin = twin_of(cast.officer_1, "officer_1_twin")
    f.MembershipFactory(user=twin, role=Role.PROVINCIAL_OFFICER, organization=cast.office_1)
    assert_cannot_approve(requested, twin)
    assert _status(plan) == PlanStatus.DRAFT


def test_an_officer_of_another_province_may_not_approve(cast, plan, requested):
    with pytest.raises(DomainError):
        approval_approve(approval=requested, by=cast.officer_2)
    assert _status(plan) == PlanStatus.DRAFT


def test_a_rejected_or_expired_request_applies_nothing(cast, plan, requested):
    reject(requested, _officer(cast, "officer_1_b"))
    assert _status(plan) == PlanStatus.DRAFT
    expire(_again(cast, plan))
    assert _status(plan) == PlanStatus.DRAFT


def _again(cast, plan):
    client = sign_in(Client(), cast.officer_1)
    client.post(
        reverse("orgmerge:apply", args=[plan.pk]), {**reauth_for(client), "reason": "Lần hai"}
    )
    return Approval.objects.get(status="pending")


def test_an_approved_request_applies_once_as_the_requester(cast, plan, requested):
    approve_and_run(requested, _officer(cast, "officer_1_b"))
    assert _status(plan) == PlanStatus.APPLYING
    (started,) = plan.transitions.filter(action="apply")
    assert started.by == cast.officer_1


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_once_apply_once(cast):
    plan = _plan(cast)
    approval = _request_on_page(cast, plan)
    race_approvals(approval, [_officer(cast, "officer_1_b"), cast.admin])
    assert _status(plan) == PlanStatus.APPLYING
    assert plan.transitions.filter(action="apply").count() == 1
