import pytest

from agencies.choices import OrgKind, Role
from agencies.demo import load_demo
from agencies.models import Membership, Organization

pytestmark = pytest.mark.django_db


def test_the_demo_has_34_active_provinces_each_with_its_science_department():
    load_demo()
    provinces = Organization.objects.active().filter(kind=OrgKind.PROVINCE)
    assert provinces.count() == 34
    offices = Organization.objects.filter(kind=OrgKind.PROVINCIAL_OFFICE)
    assert set(offices.values_list("parent_id", flat=True)) == set(
        provinces.values_list("pk", flat=True)
    )
    assert (
        Organization.objects.filter(kind=OrgKind.PROVINCE, superseded_by__isnull=False).count()
        == 29
    )


def test_loading_the_demo_twice_changes_nothing():
    first = load_demo()
    counts = (Organization.objects.count(), Membership.objects.count())
    second = load_demo()
    assert (Organization.objects.count(), Membership.objects.count()) == counts
    assert first == second


def test_the_demo_has_an_account_for_every_role():
    roles = {account.role for account in load_demo()}
    assert roles >= set(Role.values)
