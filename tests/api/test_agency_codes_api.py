"""The API's lists name each agency by its official code beside its name (agency_code), null
for an agency without one, and document it as nullable."""

from datetime import timedelta

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from agencies.services import organization_code_set
from orgmerge.services import merger_plan_create
from requests_app.models import CertRequest
from tests import factories as f
from tests.api.calls import api_as

pytestmark = pytest.mark.django_db

LISTS = ["/api/v1/chung-thu/", "/api/v1/thiet-bi/", "/api/v1/van-ban/"]


def add(cast, agency):
    """A certificate on its device, named in a Mẫu 05 letter of `agency`."""
    person = f.PersonFactory(organization=agency)
    device = f.DeviceFactory(agency=agency, holder=person)
    certificate = f.CertificateFactory(person=person, agency=agency, device=device)
    letter = CertRequest.objects.create(agency=agency, form="05", created_by=cast.clerk_a)
    letter.rows.create(position=1, certificate=certificate, revoke_reason="retired")


@pytest.mark.parametrize("url", LISTS)
def test_each_list_carries_the_agencys_official_code(cast, url):
    add(cast, cast.agency_a)
    add(cast, cast.agency_b)
    organization_code_set(organization=cast.agency_a, code="000.00.05.H33", by=None)
    # Each agency's clerk: the province's officer sees no draft letter.
    rows = [
        row
        for clerk in (cast.clerk_a, cast.clerk_b)
        for row in api_as(clerk).get(url).json()["results"]
    ]
    assert {(r["agency"], r["agency_code"]) for r in rows} == {
        ("Sở Tài chính tỉnh Lai Châu", "000.00.05.H33"),
        ("Sở Y tế tỉnh Lai Châu", None),
    }


@pytest.mark.parametrize(
    ("component", "field"),
    [
        ("Certificate", "agency_code"),
        ("Device", "agency_code"),
        ("CertRequest", "agency_code"),
        ("Plan", "target_code"),
    ],
)
def test_the_code_is_documented_as_nullable(component, field):
    schema = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    assert schema[component]["properties"][field].get("nullable") is True


def test_a_merger_plan_gives_its_targets_official_code(cast):
    organization_code_set(organization=cast.agency_a, code="000.00.05.H33", by=None)
    plan = merger_plan_create(
        sources=[cast.agency_a, cast.agency_b],
        case="b",
        target=cast.agency_a,
        effective_on=timezone.localdate() + timedelta(days=10),
        by=cast.officer_1,
    )
    answer = api_as(cast.officer_1).get(f"/api/v1/sap-nhap/{plan.pk}/").json()
    assert (answer["target"], answer["target_code"]) == (cast.agency_a.name, "000.00.05.H33")
