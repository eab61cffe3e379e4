"""Letters and their rows write fewer index entries (docs/retention.md §6): each link of a row
to another record, and each blind index, is indexed only where it holds a value, and every
lookup by a value is still served by an index; the partial unique indexes of "one open
request per certificate / device" survived the migration that dropped the fields' own
indexes (Django's AlterField would have dropped them too)."""

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef

from agencies.models import Person
from portal.field_crypto import blind_index
from requests_app.models import CertRequest, RequestRow
from tests.helpers import postgresql_only

pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        postgresql_only("the index and query plan tests")


def _indexes(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return dict(cursor.fetchall())


def _plan(queryset, *, nested_loop: bool = False) -> str:
    """`nested_loop`: a join probing the index row by row, as at scale (a few rows in a test
    would be hashed)."""
    with connection.cursor() as cursor:
        # until the test's rollback; no bitmap scan either, so that an index serving the
        # lookup always shows as "Index Scan using <name>" (a bitmap scan of the same index
        # reads "on <name>", chosen or not by the statistics of the moment)
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        if nested_loop:
            for method in ("hashjoin", "mergejoin"):
                cursor.execute(f"SET LOCAL enable_{method} = off")
    return queryset.order_by().explain()


LINKS = {
    "person_id": "row_person_idx",
    "subject_organization_id": "row_subject_organization_idx",
    "certificate_id": "row_certificate_idx",
    "device_id": "row_device_idx",
    "decided_by_id": "row_decided_by_idx",
    "result_certificate_id": "row_result_certificate_idx",
    "result_device_id": "row_result_device_idx",
}


def test_the_rows_links_and_blind_index_are_indexed_only_where_they_hold_a_value():
    indexes = _indexes("requests_app_requestrow")

    for column, name in LINKS.items():
        assert f"WHERE ({column} IS NOT NULL)" in indexes[name], indexes[name]
    assert "WHERE (NOT ((national_id_index)::text = ''::text))" in indexes["row_national_id_idx"]
    assert (
        "WHERE ((certificate_id IS NOT NULL) AND is_open)"
        in (indexes["row_one_open_request_per_certificate"])
    )
    assert (
        "WHERE ((device_id IS NOT NULL) AND is_open)"
        in (indexes["row_one_open_request_per_device"])
    )
    assert "UNIQUE" in indexes["row_position_unique"]
    # 13 indexes before, each written for every row minimised; now the key, the (letter, STT)
    # order, the two partial uniques and the eight partial indexes above.
    assert len(indexes) == 12, sorted(indexes)


def test_a_letter_s_status_and_contact_id_and_a_person_s_id_have_one_index_each():
    letters = _indexes("requests_app_certrequest")
    assert not [
        n
        for n, sql in letters.items()
        if "btree (status)" in sql or "(status varchar_pattern_ops)" in sql
    ]
    assert "(status, due_on)" in letters["req_status_due_idx"]
    assert [n for n, sql in letters.items() if "contact_national_id_index" in sql] == [
        "req_contact_id_idx"
    ]
    people = _indexes("agencies_person")
    assert [n for n, sql in people.items() if "national_id_index" in sql] == [
        "person_national_id_unique"
    ]


@pytest.mark.parametrize("column", sorted(LINKS))
def test_rows_are_found_by_each_link_through_its_partial_index(column):
    plan = _plan(RequestRow.objects.filter(**{column: 42}))

    assert f"using {LINKS[column]}" in plan, plan


def test_rows_are_found_by_an_id_number_and_a_letter_by_its_contact_s():
    index = blind_index("001190000001")

    assert "using row_national_id_idx" in _plan(RequestRow.objects.filter(national_id_index=index))
    assert "using req_contact_id_idx" in _plan(
        CertRequest.objects.filter(contact_national_id_index=index)
    )
    rows_of_a_letter = _plan(RequestRow.objects.filter(cert_request_id=7))
    assert "using row_position_unique" in rows_of_a_letter, rows_of_a_letter


def test_a_person_s_rows_are_found_through_the_partial_index_inside_a_join():
    """What the people's retention sweep asks of every person (an EXISTS on their rows)."""
    rows = RequestRow.objects.filter(person=OuterRef("pk"))
    plan = _plan(Person.objects.filter(pk__in=[1, 2, 3]).filter(~Exists(rows)), nested_loop=True)

    assert "using row_person_idx" in plan, plan
    assert "Index Cond: (person_id = agencies_person.id)" in plan, plan
