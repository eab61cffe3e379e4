"""Merger plans over the API (/api/v1/sap-nhap/), for the province's officers only, through
the same form and services as the pages: create, review with its planned actions, apply
(after the password, and a code for a user with a second factor) and discard."""

from datetime import timedelta

import pytest
from django.utils import timezone

from approvals.models import Approval
from approvals.services import approval_approve, approval_run
from orgmerge.choices import MergerCase, PlanStatus
from orgmerge.models import MergerPlan
from orgmerge.services import merger_plan_create
from tests import factories as f
from tests.api.calls import api_as
from tests.api.spoiled import NOBODY, api_reauth, client_for

pytestmark = pytest.mark.django_db
URL = "/api/v1/sap-nhap/"


def effective_on() -> str:
    return (timezone.localdate() + timedelta(days=10)).isoformat()


def body(cast, **extra) -> dict:
    """Agency B merged into agency A, which keeps its name (case b)."""
    return {
        "case": MergerCase.KEEPS_NAME,
        "sources": [cast.agency_a.pk, cast.agency_b.pk],
        "survivor": cast.agency_a.pk,
        "effective_on": effective_on(),
        **extra,
    }


@pytest.fixture
def plan(cast):
    f.certificate_valid_for(cast, cast.agency_b, 300)
    return merger_plan_create(
        sources=[cast.agency_a, cast.agency_b],
        case=MergerCase.KEEPS_NAME,
        target=cast.agency_a,
        effective_on=timezone.localdate() + timedelta(days=10),
        by=cast.officer_1,
    )


def status_of(plan) -> str:
    return MergerPlan.objects.get(pk=plan.pk).status


def test_the_officer_creates_a_plan_and_reads_its_planned_actions(cast):
    certificate = f.certificate_valid_for(cast, cast.agency_b, 300)
    created = api_as(cast.officer_1).post(URL, body(cast), format="json")
    assert created.status_code == 201, created.json()
    plan = created.json()
    assert (plan["status"], plan["target"]) == (PlanStatus.DRAFT, cast.agency_a.name)
    assert sorted(plan["sources"]) == sorted([cast.agency_a.name, cast.agency_b.name])
    review = api_as(cast.officer_1).get(f"{URL}{plan['id']}/")
    assert review.status_code == 200
    assert certificate.serial in [a["certificate"] for a in review.json()["actions"]]


def test_a_source_of_another_province_is_a_400_and_no_plan_is_made(cast):
    response = api_as(cast.officer_1).post(
        URL, body(cast, sources=[cast.agency_a.pk, cast.agency_c.pk]), format="json"
    )
    assert response.status_code == 400
    assert "sources" in response.json()["errors"]
    assert not MergerPlan.objects.exists()


def test_a_merger_of_one_agency_is_a_422_problem_and_no_plan_is_made(cast):
    response = api_as(cast.officer_1).post(
        URL, body(cast, sources=[cast.agency_a.pk]), format="json"
    )
    assert response.status_code == 422
    assert response.json()["code"] == "too_few_sources"
    assert not MergerPlan.objects.exists()


def test_a_retried_create_with_the_same_key_makes_one_plan(cast):
    client = api_as(cast.officer_1)
    first = client.post(URL, body(cast), format="json", HTTP_IDEMPOTENCY_KEY="pa-1")
    again = client.post(URL, body(cast), format="json", HTTP_IDEMPOTENCY_KEY="pa-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert MergerPlan.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "expected"),
    [("clerk_a", 403), ("head_a", 403), ("ca_operator", 403)] + [(w, 401) for w in NOBODY],
)
def test_who_may_create_a_plan(cast, who, expected):
    response = client_for(cast, who).post(URL, body(cast), format="json")
    assert response.status_code == expected, response.json()
    assert not MergerPlan.objects.exists()


def test_the_officer_applies_the_plan_after_the_password(cast, plan):
    client = api_as(cast.officer_1)
    response = client.post(f"{URL}{plan.pk}/thuc-hien/", api_reauth(cast.officer_1), format="json")
    assert response.status_code == 202, response.json()
    # A request waiting for a second person (docs/approvals.md), then applied once approved.
    assert response.json()["status"] == PlanStatus.DRAFT
    approval = Approval.objects.get(pk=response.json()["approval"]["id"])
    approval_approve(approval=approval, by=cast.admin)
    approval_run(approval_id=approval.pk)
    assert status_of(plan) == PlanStatus.APPLYING


def test_applying_without_the_password_is_a_422_problem_and_changes_nothing(cast, plan):
    response = api_as(cast.officer_1).post(
        f"{URL}{plan.pk}/thuc-hien/", {"password": "sai-mat-khau"}, format="json"
    )
    assert response.status_code == 422
    assert response.json()["code"] == "password_wrong"
    assert status_of(plan) == PlanStatus.DRAFT


def test_applying_without_any_body_is_a_400_problem(cast, plan):
    response = api_as(cast.officer_1).post(f"{URL}{plan.pk}/thuc-hien/", {}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()["errors"]
    assert status_of(plan) == PlanStatus.DRAFT


def test_a_retried_apply_with_the_same_key_acts_once(cast, plan):
    client, fields = api_as(cast.officer_1), api_reauth(cast.officer_1)
    url = f"{URL}{plan.pk}/thuc-hien/"
    first = client.post(url, fields, format="json", HTTP_IDEMPOTENCY_KEY="th-1")
    again = client.post(url, fields, format="json", HTTP_IDEMPOTENCY_KEY="th-1")
    assert first.status_code == again.status_code == 202
    assert again["Idempotent-Replayed"] == "true"
    assert Approval.objects.filter(object_key=f"merger_plan:{plan.pk}").count() == 1


def test_the_officer_discards_a_plan_and_cannot_apply_it_then(cast, plan):
    client = api_as(cast.officer_1)
    discarded = client.post(f"{URL}{plan.pk}/huy/", {"note": "Chờ nghị quyết"}, format="json")
    assert discarded.status_code == 200, discarded.json()
    assert discarded.json()["status"] == PlanStatus.DISCARDED
    applied = client.post(f"{URL}{plan.pk}/thuc-hien/", api_reauth(cast.officer_1), format="json")
    assert applied.status_code == 409
    assert applied.json()["code"] == "stale_status"
    assert status_of(plan) == PlanStatus.DISCARDED


@pytest.mark.parametrize("verb", ["get", "huy", "thuc-hien"])
@pytest.mark.parametrize(
    ("who", "expected"),
    [("clerk_a", 404), ("head_a", 404), ("officer_2", 404), ("ca_operator", 404)]
    + [(w, 401) for w in NOBODY],
)
def test_plan_permission_matrix(cast, plan, verb, who, expected):
    client = client_for(cast, who)
    if verb == "get":
        response = client.get(f"{URL}{plan.pk}/")
    else:
        response = client.post(f"{URL}{plan.pk}/{verb}/", {"password": "x"}, format="json")
    assert response.status_code == expected, response.json()
    assert status_of(plan) == PlanStatus.DRAFT


@pytest.mark.parametrize(("who", "expected"), [("clerk_a", 403), ("officer_2", 200)])
def test_only_planners_list_plans_and_each_sees_their_provinces(cast, plan, who, expected):
    response = client_for(cast, who).get(URL)
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["count"] == 0


def test_the_plan_list_keeps_its_query_budget(cast, django_assert_max_num_queries):
    for name in ("Sở Nội vụ", "Sở Tư pháp", "Sở Công Thương"):
        one, two = (f.AgencyFactory(parent=cast.province_1, name=f"{name} {n}") for n in (1, 2))
        merger_plan_create(
            sources=[one, two],
            case=MergerCase.KEEPS_NAME,
            target=one,
            effective_on=timezone.localdate() + timedelta(days=10),
            by=cast.officer_1,
        )
    client = api_as(cast.officer_1)
    with django_assert_max_num_queries(12):
        response = client.get(URL)
    assert response.json()["count"] == 3


def test_an_officer_with_a_second_factor_must_give_a_code_too(cast, plan):
    fields = api_reauth(cast.officer_1)  # gives the officer their authenticator, as on sign-in
    assert fields["otp"]
    response = api_as(cast.officer_1).post(
        f"{URL}{plan.pk}/thuc-hien/", {"password": fields["password"]}, format="json"
    )
    assert response.status_code == 422
    assert response.json()["code"] == "code_missing"
    assert status_of(plan) == PlanStatus.DRAFT
