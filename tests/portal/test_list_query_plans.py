"""On PostgreSQL, each long list's page — the first and one reached by its cursor — is read
through an index with a LIMIT, for every role that sees it (docs/scale.md §12.2): no
sequential scan of the list's table, and no sort of the table. The query is the one the view
runs, captured while a user GETs the page; its plan is taken with sequential scans switched
off (small test tables would otherwise always be scanned whole), so a plan that still scans
the table means no index can serve it.

Sorts are switched off as well, so the planner takes the ordering index whenever one gives
the order. A sort is allowed only above rows an index condition picked (a clerk's agency, a province's
agencies: the scope, never the table); for a scope that is the whole table (the CA's registry
and inventory) the ordering index itself must give the order: no sort at all.
"""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.services import organization_code_set
from portal.lib.paging import COUNT_CAP
from tests.helpers import postgresql_only, sign_in
from tests.portal.list_builders import LISTS, certificates

pytestmark = [pytest.mark.services, pytest.mark.django_db]

SIZE = 10
CASES = [(spec, who) for spec in LISTS for who in spec.users]
IDS = [f"{spec.name}-{who}" for spec, who in CASES]
# Lists whose scope, for this role, is the whole table, and the CA's queue (the country's
# letters at the CA): the index must give the order, with no sort of the rows it reads.
WHOLE_TABLE = {
    ("certificates", "ca_operator"),
    ("devices", "ca_operator"),
    ("ca_queue", "ca_operator"),
}


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        postgresql_only("the query plan tests")


def nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from nodes(child)


def explain(sql: str) -> dict:
    with connection.cursor() as cursor:
        # Until the test's rollback. With sorts off too, a Sort left in the plan means no
        # index can give the list's order.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        (document,) = cursor.fetchone()
    document = json.loads(document) if isinstance(document, str) else document
    return document[0]["Plan"]


def rows_query(queries, table: str) -> str:
    """The page's rows: the SELECT from the list's table with LIMIT page size + 1."""
    found = [
        q["sql"]
        for q in queries
        if re.search(rf'FROM "{table}"', q["sql"])
        and q["sql"].rstrip().endswith(f"LIMIT {SIZE + 1}")
        and not q["sql"].startswith("SELECT COUNT")
    ]
    assert len(found) == 1, [q["sql"][:200] for q in queries]
    return found[0]


def count_query(queries, table: str) -> str | None:
    found = [q["sql"] for q in queries if "COUNT(*)" in q["sql"] and f'FROM "{table}"' in q["sql"]]
    return found[0] if found else None


def assert_index_driven(plan: dict, table: str, *, whole_table: bool) -> None:
    text = json.dumps(plan, ensure_ascii=False, indent=1)
    scans = [n for n in nodes(plan) if n.get("Relation Name") == table]
    assert scans, text
    assert not any(n["Node Type"] == "Seq Scan" for n in scans), text
    assert plan["Node Type"] == "Limit", text
    for sort in (n for n in nodes(plan) if n["Node Type"] == "Sort"):
        below = [n for n in nodes(sort) if n.get("Relation Name") == table]
        assert not whole_table or not below, f"the whole table is sorted:\n{text}"
        for scan in below:
            # Rows an index condition chose (the scope), not the table read in full.
            assert scan.get("Index Cond") or scan.get("Recheck Cond"), text


@pytest.mark.parametrize(("spec", "who"), CASES, ids=IDS)
def test_the_first_page_and_a_cursor_page_are_index_scans_with_a_limit(client, cast, spec, who):
    user = getattr(cast, who)
    spec.build(cast, user, 2 * SIZE + 3)
    sign_in(client, user)
    whole_table = (spec.name, who) in WHOLE_TABLE

    with CaptureQueriesContext(connection) as first:
        response = client.get(spec.url, {"page_size": SIZE})
    page = response.context["page"]
    assert page.has_next
    with CaptureQueriesContext(connection) as deeper:
        assert client.get(f"{spec.url}?{page.next_query}").status_code == 200

    for queries in (first, deeper):
        sql = rows_query(queries.captured_queries, spec.table)
        assert_index_driven(explain(sql), spec.table, whole_table=whole_table)
        counted = count_query(queries.captured_queries, spec.table)
        if counted is not None:
            # Capped: the count reads at most COUNT_CAP + 1 rows, whatever the plan.
            assert f"LIMIT {COUNT_CAP + 1})" in counted, counted


@pytest.mark.parametrize("who", ["ca_operator", "clerk_a"])
def test_a_search_by_a_whole_agency_code_reads_certificates_through_indexes(client, cast, who):
    # A whole code is a semi-join on the organisations' codes, not OR'd with the name scans:
    # the certificates are read through an index, whatever the size of the registry.
    organization_code_set(organization=cast.agency_a, code="000.00.05.H33", by=None)
    certificates(cast, cast.ca_operator, 2 * SIZE + 3)
    user = getattr(cast, who)
    sign_in(client, user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(
            reverse("certificates:list"), {"q": "000.00.05.H33", "page_size": SIZE}
        )
    assert response.status_code == 200 and response.context["page"].has_next
    sql = rows_query(queries.captured_queries, "certificates_certificate")
    plan = explain(sql)
    scans = [n for n in nodes(plan) if n.get("Relation Name") == "certificates_certificate"]
    text = json.dumps(plan, ensure_ascii=False, indent=1)
    assert scans and not any(n["Node Type"] == "Seq Scan" for n in scans), text
    # The agency is found through the code's unique index, and no row is tested against the
    # folded names (a whole code is no name): at scale the planner may then start from the
    # agency and read its certificates through `cert_agency_status_idx`.
    assert any(n.get("Index Name") == "org_code_unique" for n in nodes(plan)), text
    assert "regexp_replace" not in text, text
