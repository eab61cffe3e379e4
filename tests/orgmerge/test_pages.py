"""The merger pages: permission matrix (out of scope 404, in scope but not allowed 403), the
wizard, the preview's figures, the choices, the Excel, discard and apply with the password
confirmation, and a query budget that does not grow with the plan."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from approvals.models import Approval
from approvals.services import approval_approve, approval_run
from orgmerge.choices import ActionKind, PlanStatus
from orgmerge.models import MergerPlan
from orgmerge.services import merger_plan_create
from tests import factories as f
from tests.helpers import PERSONAS, answer, count_queries, login, reauth_for, sign_in

pytestmark = pytest.mark.django_db

NEW_NAME = "Sở Tài chính và Y tế tỉnh Lai Châu"


@pytest.fixture
def plan(cast, world):
    return merger_plan_create(
        sources=[cast.agency_a, cast.agency_b],
        case="a",
        target_name=NEW_NAME,
        effective_on=world.effective_on,
        by=cast.officer_1,
    )


# Who sees a province-1 plan: its officers and administrators; officer_2 (another province)
# and everyone else get 404 on the plan, 403 on the list.
PLAN_PAGE = {"officer_1": 200, "admin": 200, "officer_2": 404}


@pytest.mark.parametrize("persona", [*PERSONAS, "admin"])
def test_plan_page_permission_matrix(cast, plan, client, persona):
    response = login(client, cast, persona).get(reverse("orgmerge:detail", args=[plan.pk]))
    assert answer(response) == PLAN_PAGE.get(persona, "login" if persona == "anonymous" else 404)


@pytest.mark.parametrize("persona", [*PERSONAS, "admin"])
def test_list_and_wizard_permission_matrix(cast, client, persona):
    login(client, cast, persona)
    expected = {"officer_1": 200, "officer_2": 200, "admin": 200, "anonymous": "login"}
    for name in ("orgmerge:list", "orgmerge:create"):
        assert answer(client.get(reverse(name))) == expected.get(persona, 403), name


@pytest.mark.parametrize("persona", ["officer_2", "clerk_a", "ca_operator"])
def test_nobody_outside_the_province_acts_on_the_plan(cast, plan, client, persona):
    sign_in(client, getattr(cast, persona))
    for name in ("orgmerge:choices", "orgmerge:discard", "orgmerge:apply", "orgmerge:excel"):
        method = client.get if name == "orgmerge:excel" else client.post
        assert method(reverse(name, args=[plan.pk])).status_code == 404, name
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT


def test_the_wizard_creates_the_plan_and_shows_its_preview(cast, world, client):
    sign_in(client, cast.officer_1)
    response = client.post(
        reverse("orgmerge:create"),
        {
            "case": "b",
            "sources": [cast.agency_a.pk, cast.agency_b.pk],
            "survivor": cast.agency_a.pk,
            "effective_on": world.effective_on.strftime("%d/%m/%Y"),
        },
    )
    plan = MergerPlan.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "orgmerge:detail", args=[plan.pk]
    )
    page = client.get(response.url)
    assert page.status_code == 200
    html = page.content.decode()
    assert cast.agency_b.name in html
    assert 'data-total="revoke">1<' in html  # agency B's organisation certificate


def test_the_wizard_explains_a_refusal_and_creates_nothing(cast, world, client):
    sign_in(client, cast.officer_1)
    response = client.post(
        reverse("orgmerge:create"),
        {
            "case": "a",
            "sources": [cast.agency_a.pk],
            "target_name": "X",
            "effective_on": world.effective_on.strftime("%d/%m/%Y"),
        },
    )
    assert response.status_code == 200
    assert "Sáp nhập cần ít nhất hai cơ quan: tích chọn mọi cơ quan" in response.content.decode()
    assert not MergerPlan.objects.exists()


def test_a_merger_into_a_surviving_agency_with_one_ticked_says_to_tick_the_survivor_too(
    cast, world, client
):
    sign_in(client, cast.officer_1)
    response = client.post(
        reverse("orgmerge:create"),
        {
            "case": "b",
            "sources": [cast.agency_b.pk],
            "survivor": cast.agency_a.pk,
            "effective_on": world.effective_on.strftime("%d/%m/%Y"),
        },
    )
    assert response.status_code == 200
    assert (
        "Sáp nhập cần ít nhất hai cơ quan: tích chọn cả cơ quan giữ nguyên tên lẫn các cơ quan "
        "nhập vào cơ quan đó."
    ) in response.content.decode()
    assert not MergerPlan.objects.exists()


def test_the_wizard_does_not_offer_another_provinces_agencies(cast, world, client):
    sign_in(client, cast.officer_1)
    response = client.post(
        reverse("orgmerge:create"),
        {
            "case": "a",
            "sources": [cast.agency_a.pk, cast.agency_c.pk],
            "target_name": "X",
            "effective_on": world.effective_on.strftime("%d/%m/%Y"),
        },
    )
    assert response.status_code == 200 and not MergerPlan.objects.exists()


def test_the_choices_replan_with_the_leaving_person(cast, world, plan, client):
    sign_in(client, cast.officer_1)
    client.post(
        reverse("orgmerge:choices", args=[plan.pk]),
        {"kept_certificate": world.org_cert_a.pk, "leaving": [world.person_b_leaving.pk]},
    )
    assert plan.actions.filter(kind=ActionKind.RETURN_DEVICE, device=world.token).exists()


def test_the_excel_lists_every_action_with_serials_as_text(cast, world, plan, client):
    sign_in(client, cast.officer_1)
    response = client.get(reverse("orgmerge:excel", args=[plan.pk]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    lines = list(sheet.iter_rows(values_only=True))
    assert len(lines) == 1 + plan.actions.count()
    serials = {line[3] for line in lines[1:]}
    assert world.org_cert_a.serial in serials
    assert world.cert_c.serial not in serials


def test_an_officer_discards_the_plan(cast, plan, client):
    sign_in(client, cast.officer_1)
    client.post(reverse("orgmerge:discard", args=[plan.pk]), {"note": "Chưa có quyết định"})
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DISCARDED


def test_apply_asks_for_the_password_again(cast, plan, client):
    sign_in(client, cast.officer_1)
    response = client.post(reverse("orgmerge:apply", args=[plan.pk]), follow=True)
    assert "mật khẩu" in response.content.decode()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT


def test_apply_with_the_password_asks_for_approval_and_applies_once_approved(cast, plan, client):
    sign_in(client, cast.officer_1)
    client.post(reverse("orgmerge:apply", args=[plan.pk]), reauth_for(client))
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT  # waiting for a second person (docs/approvals.md)
    approval = Approval.objects.get(object_key=f"merger_plan:{plan.pk}")
    approval_approve(approval=approval, by=cast.admin)
    approval_run(approval_id=approval.pk)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPLYING


def test_the_plan_page_queries_do_not_grow_with_the_plan(cast, world, plan, client):
    sign_in(client, cast.officer_1)
    url = reverse("orgmerge:detail", args=[plan.pk])
    before = count_queries(client, url)
    for _ in range(10):
        f.certificate_valid_for(cast, cast.agency_b, 300)
    plan.status = PlanStatus.DISCARDED
    plan.save()
    plan.sources.update(is_open=False)
    bigger = merger_plan_create(
        sources=[cast.agency_a, cast.agency_b],
        case="a",
        target_name=NEW_NAME,
        effective_on=world.effective_on,
        by=cast.officer_1,
    )
    after = count_queries(client, reverse("orgmerge:detail", args=[bigger.pk]))
    assert after == before
