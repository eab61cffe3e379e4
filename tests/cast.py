"""The cast every test can call on (the `cast` fixture, tests/conftest.py), and the same cast
built once for a module's tests (`module_cast`), as Django's `setUpTestData` builds a
class's data: in a transaction that each test's own nests in as a savepoint rolled back after
the test, the whole rolled back after the module. A module whose tests each need an expensive
world (a letter issued and signed) builds it once this way and gives each test a fresh copy
read from the database."""

from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from django.db import transaction

from agencies.choices import Role
from tests import factories as f


def make_cast() -> SimpleNamespace:
    """Two provinces, three agencies and one user per role (the `cast` fixture's)."""
    province_1 = f.ProvinceFactory(name="Tỉnh Lai Châu")
    office_1 = f.ProvincialOfficeFactory(parent=province_1)
    agency_a = f.AgencyFactory(parent=province_1, name="Sở Tài chính tỉnh Lai Châu")
    unit_a = f.UnitFactory(parent=agency_a, name="Phòng Ngân sách")
    agency_b = f.AgencyFactory(parent=province_1, name="Sở Y tế tỉnh Lai Châu")
    province_2 = f.ProvinceFactory(name="Thành phố Đà Nẵng")
    office_2 = f.ProvincialOfficeFactory(parent=province_2)
    agency_c = f.AgencyFactory(parent=province_2, name="Sở Xây dựng thành phố Đà Nẵng")
    ca_org = f.CAOrgFactory()

    def member(username, role, org):
        user = f.UserFactory(username=username)
        f.MembershipFactory(user=user, role=role, organization=org)
        return user

    clerk_a = member("clerk_a", Role.AGENCY_CLERK, agency_a)
    head_a = member("head_a", Role.AGENCY_HEAD, agency_a)
    clerk_b = member("clerk_b", Role.AGENCY_CLERK, agency_b)
    clerk_c = member("clerk_c", Role.AGENCY_CLERK, agency_c)
    officer_1 = member("officer_1", Role.PROVINCIAL_OFFICER, office_1)
    officer_2 = member("officer_2", Role.PROVINCIAL_OFFICER, office_2)
    ca_operator = member("ca_operator", Role.CA_OPERATOR, ca_org)
    subscriber_user = f.UserFactory(username="subscriber_a")
    f.MembershipFactory(user=subscriber_user, role=Role.SUBSCRIBER, organization=None)
    subscriber = f.PersonFactory(organization=unit_a, user=subscriber_user)
    admin = f.UserFactory(username="admin", is_superuser=True, is_staff=True)

    return SimpleNamespace(**locals())


@contextmanager
def built_once(django_db_blocker) -> Iterator[None]:
    """What the block builds stays for the module's tests, each in its own savepoint."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


def module_cast():
    """A `cast` fixture built once for the module (`cast = module_cast()` in a test module):
    the module's tests, and its other module fixtures, share it."""

    @pytest.fixture(scope="module")
    def cast(django_db_setup, django_db_blocker):
        with built_once(django_db_blocker):
            yield make_cast()

    return cast


def forget_cached_scopes(cast: SimpleNamespace) -> None:
    """The cast's users as a test should meet them: without the scope an earlier test's
    request computed and cached on the object (agencies/access.py)."""
    for value in vars(cast).values():
        if hasattr(value, "_portal_scope"):
            del value._portal_scope
