"""The JSON API shows exactly what the pages show: same scope, same filters."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from requests_app.models import CertRequest
from tests import factories as f
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db

ENDPOINTS = ["/api/v1/chung-thu/", "/api/v1/thiet-bi/", "/api/v1/van-ban/"]


@pytest.fixture
def world(cast):
    rows = {}
    for key, agency, clerk in (
        ("a", cast.agency_a, cast.clerk_a),
        ("c", cast.agency_c, cast.clerk_c),
    ):
        person = f.PersonFactory(organization=agency)
        device = f.DeviceFactory(agency=agency, holder=person)
        certificate = f.CertificateFactory(person=person, agency=agency, device=device)
        letter = CertRequest.objects.create(agency=agency, form="05", created_by=clerk)
        letter.rows.create(position=1, certificate=certificate, revoke_reason="retired")
        rows[key] = (certificate, device, letter)
    return rows


def results(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_anonymous_callers_are_refused_and_told_to_send_a_token(client, url):
    response = client.get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_clerk_gets_their_agency_only(client, cast, world):
    sign_in(client, cast.clerk_a)
    certificate, device, letter = world["a"]
    assert [c["serial"] for c in results(client, ENDPOINTS[0])] == [certificate.serial]
    assert [d["serial"] for d in results(client, ENDPOINTS[1])] == [device.serial]
    assert [x["id"] for x in results(client, ENDPOINTS[2])] == [letter.pk]


def test_another_provinces_objects_are_404_not_403(client, cast, world):
    sign_in(client, cast.clerk_a)
    certificate, device, letter = world["c"]
    assert client.get(f"{ENDPOINTS[0]}{certificate.serial}/").status_code == 404
    assert client.get(f"{ENDPOINTS[1]}{device.pk}/").status_code == 404
    assert client.get(f"{ENDPOINTS[2]}{letter.pk}/").status_code == 404


def test_a_provincial_officer_sees_no_agencys_unsent_letters(client, cast, world):
    sign_in(client, cast.officer_1)
    assert results(client, ENDPOINTS[2]) == []
    assert len(results(client, ENDPOINTS[0])) == 1


def test_the_page_filters_apply(client, cast, world):
    sign_in(client, cast.ca_operator)
    assert len(results(client, ENDPOINTS[0])) == 2
    assert len(results(client, f"{ENDPOINTS[0]}?agency={cast.agency_c.pk}")) == 1


@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_list_costs_the_same_queries_for_10_or_100_objects(client, cast, url):
    sign_in(client, cast.admin)

    def add(n):
        for _ in range(n):
            person = f.PersonFactory(organization=cast.agency_a)
            device = f.DeviceFactory(agency=cast.agency_a, holder=person)
            cert = f.CertificateFactory(person=person, agency=cast.agency_a, device=device)
            letter = CertRequest.objects.create(
                agency=cast.agency_a, form="05", created_by=cast.clerk_a
            )
            letter.rows.create(position=1, certificate=cert, revoke_reason="retired")

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    add(10)
    small = queries()
    add(90)
    assert queries() == small


def test_the_openapi_schema_lists_the_endpoints(client, cast):
    sign_in(client, cast.clerk_a)
    schema = client.get("/api/schema/").content.decode()
    for path in ("/api/v1/chung-thu/", "/api/v1/thiet-bi/", "/api/v1/van-ban/"):
        assert path in schema
