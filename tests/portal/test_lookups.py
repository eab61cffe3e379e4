"""`__in_array` (portal/lib/lookups.py): the rows of `__in`, as one array parameter on
PostgreSQL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import Organization
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_in_array_finds_the_rows_in_finds():
    agencies = [f.AgencyFactory() for _ in range(4)]
    wanted = [agencies[0].pk, agencies[2].pk, agencies[2].pk, None, 10**9]
    found = set(Organization.objects.filter(pk__in_array=wanted).values_list("pk", flat=True))
    assert found == set(Organization.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    assert found == {agencies[0].pk, agencies[2].pk}
    assert not Organization.objects.filter(pk__in_array=[]).exists()
    by_name = Organization.objects.filter(name__in_array=[agencies[1].name])
    assert list(by_name.values_list("pk", flat=True)) == [agencies[1].pk]
    # A value longer than the column is no match, not cut down to one.
    f.AgencyFactory(short_name="y" * 64)  # the column's length
    assert not Organization.objects.filter(short_name__in_array=["y" * 65]).exists()


def test_in_array_takes_a_foreign_keys_ids():
    agency = f.AgencyFactory()
    unit = f.AgencyFactory(parent=agency)
    found = Organization.objects.filter(parent_id__in_array=[agency.pk, 10**9])
    assert list(found.values_list("pk", flat=True)) == [unit.pk]


def test_in_array_sends_one_parameter_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the array form is PostgreSQL's")
    with CaptureQueriesContext(connection) as ctx:
        list(Organization.objects.filter(pk__in_array=list(range(1, 5001))))
    (query,) = ctx.captured_queries
    assert "= ANY(" in query["sql"] and " IN (" not in query["sql"]
