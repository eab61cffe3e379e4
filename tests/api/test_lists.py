"""Every API list walks by cursor (newest first, on the primary key) with its filters kept,
and costs the same number of queries for 1 row as for 20 (docs/api.md §9, §2.13)."""

import pytest

from requests_app.models import CertRequest
from tests import factories as f
from tests.api.calls import api_as
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db

LISTS = ["/api/v1/chung-thu/", "/api/v1/thiet-bi/", "/api/v1/van-ban/"]


def add(cast, n, agency=None):
    """n certificates, each on its device, each named in a Mẫu 05 letter of `agency`."""
    agency = agency or cast.agency_a
    for _ in range(n):
        person = f.PersonFactory(organization=agency)
        device = f.DeviceFactory(agency=agency, holder=person)
        certificate = f.CertificateFactory(person=person, agency=agency, device=device)
        letter = CertRequest.objects.create(agency=agency, form="05", created_by=cast.clerk_a)
        letter.rows.create(position=1, certificate=certificate, revoke_reason="retired")


def walk(client, url, params):
    """Every row of a list, following `next` from the first page."""
    seen, response = [], client.get(url, params)
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        seen.extend(body["results"])
        if not body["next"]:
            return seen
        response = client.get(body["next"])


KEY = {"/api/v1/chung-thu/": "serial", "/api/v1/thiet-bi/": "id", "/api/v1/van-ban/": "id"}


@pytest.mark.parametrize("url", LISTS)
def test_a_list_is_walked_by_cursor_newest_first_without_repeat_or_gap(cast, url):
    add(cast, 7)
    client = api_as(cast.clerk_a)
    rows = walk(client, url, {"page_size": 3})
    assert len(rows) == 7
    keys = [row[KEY[url]] for row in rows]
    assert len(set(keys)) == 7
    first = client.get(url, {"page_size": 3}).json()
    assert "count" not in first and first["previous"] is None
    if url != "/api/v1/chung-thu/":
        assert keys == sorted(keys, reverse=True)


def test_a_row_added_while_walking_is_neither_repeated_nor_skips_another(cast):
    add(cast, 4)
    client = api_as(cast.clerk_a)
    first = client.get("/api/v1/thiet-bi/", {"page_size": 2}).json()
    add(cast, 1)  # newer than every row already listed: it belongs before the first page
    rest = walk(client, first["next"], {})
    ids = [d["id"] for d in first["results"] + rest]
    assert len(ids) == len(set(ids)) == 4


def test_the_filters_apply_across_cursor_pages(cast):
    add(cast, 3)
    add(cast, 2, agency=cast.agency_c)
    client = api_as(cast.ca_operator)
    rows = walk(client, "/api/v1/chung-thu/", {"agency": cast.agency_c.pk, "page_size": 1})
    assert len(rows) == 2
    assert {r["agency"] for r in rows} == {cast.agency_c.name}


@pytest.mark.parametrize("url", LISTS)
def test_a_forged_cursor_is_a_404_problem_in_vietnamese(cast, url):
    response = api_as(cast.clerk_a).get(url, {"cursor": "khong-phai-con-tro"})
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")
    assert "Con trỏ trang không hợp lệ" in response.json()["detail"]


@pytest.mark.parametrize("persona", ["clerk_a", "officer_1", "ca_operator"])
@pytest.mark.parametrize("url", LISTS)
def test_a_list_costs_the_same_queries_for_1_row_as_for_20(cast, url, persona):
    client = api_as(getattr(cast, persona))
    add(cast, 1)
    one = count_queries(client, url)
    add(cast, 19)
    assert count_queries(client, url) == one
