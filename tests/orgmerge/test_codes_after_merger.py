"""Agency codes across a merger (docs/exchange.md, "Agency codes"): the retired organisation
keeps its code as history, and its code, current or former, leads to the successor."""

import pytest
from django.urls import reverse

from agencies.models import FormerCode, Organization
from agencies.services import CodeRow, organization_code_set, organization_codes_check
from orgmerge.services import merger_plan_apply, merger_plan_create, merger_plan_run_apply
from portal.errors import DomainError
from tests import factories as f
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


def _merge_b_into_a(cast, world):
    plan = merger_plan_create(
        sources=[cast.agency_a, cast.agency_b],
        case="b",
        target=cast.agency_a,
        effective_on=world.effective_on,
        by=cast.officer_1,
    )
    merger_plan_apply(plan=plan, by=cast.officer_1)
    merger_plan_run_apply(plan_id=plan.pk)


@pytest.fixture
def coded(cast):
    organization_code_set(organization=cast.province_1, code="000.00.00.H33", by=None)
    organization_code_set(organization=cast.agency_a, code="000.00.05.H33", by=None)
    organization_code_set(organization=cast.agency_b, code="000.00.06.H33", by=None)
    organization_code_set(organization=cast.agency_b, code="000.00.08.H33", by=None)


def test_the_absorbed_agencys_code_leads_to_the_survivor(cast, world, coded):
    _merge_b_into_a(cast, world)
    cast.agency_b.refresh_from_db()
    assert cast.agency_b.code == "000.00.08.H33" and not cast.agency_b.is_active
    assert Organization.objects.by_code("000.00.08.H33") == cast.agency_a


def test_the_absorbed_agencys_former_code_leads_to_the_survivor_too(cast, world, coded):
    _merge_b_into_a(cast, world)
    assert FormerCode.objects.get(code="000.00.06.H33").organization == cast.agency_b
    assert Organization.objects.by_code("000.00.06.H33") == cast.agency_a


def test_the_survivor_keeps_its_own_code(cast, world, coded):
    _merge_b_into_a(cast, world)
    assert Organization.objects.by_code("000.00.05.H33") == cast.agency_a


def test_the_retired_code_is_not_given_to_another_organisation(cast, world, coded):
    _merge_b_into_a(cast, world)
    newcomer = f.AgencyFactory(parent=cast.province_1, name="Sở Nội vụ tỉnh Lai Châu")
    # The code the retired agency still holds.
    with pytest.raises(DomainError) as refused:
        organization_code_set(organization=newcomer, code="000.00.08.H33", by=None)
    assert refused.value.message == (
        "Mã định danh 000.00.08.H33 đang là mã của Sở Y tế tỉnh Lai Châu."
    )
    # Its code before that: history, never reused, by hand or by the official list.
    with pytest.raises(DomainError) as refused:
        organization_code_set(organization=newcomer, code="000.00.06.H33", by=None)
    history = (
        "Mã định danh 000.00.06.H33 là mã cũ của Sở Y tế tỉnh Lai Châu: mã đã dùng không cấp "
        "cho cơ quan khác."
    )
    assert refused.value.message == history
    check = organization_codes_check(
        [CodeRow(line=2, code="000.00.06.H33", name="Sở Nội vụ tỉnh Lai Châu")]
    )
    assert check.problems == {2: [history]}
    newcomer.refresh_from_db()
    assert newcomer.code is None
    assert Organization.objects.by_code("000.00.06.H33") == cast.agency_a


def test_the_wizard_offers_organisations_with_their_codes(cast, client, coded):
    sign_in(client, cast.officer_1)
    form = client.get(reverse("orgmerge:create")).context["form"]
    labels = dict(form.fields["sources"].choices)
    assert "Sở Tài chính tỉnh Lai Châu · 000.00.05.H33" in labels.values()
    assert "Sở Y tế tỉnh Lai Châu · 000.00.08.H33" in labels.values()


def test_the_plan_page_shows_the_codes_of_its_organisations(cast, world, client, coded):
    plan = merger_plan_create(
        sources=[cast.agency_a, cast.agency_b],
        case="b",
        target=cast.agency_a,
        effective_on=world.effective_on,
        by=cast.officer_1,
    )
    sign_in(client, cast.officer_1)
    page = client.get(reverse("orgmerge:detail", args=[plan.pk])).content.decode()
    assert "000.00.05.H33</abbr>" in page and "000.00.08.H33</abbr>" in page
