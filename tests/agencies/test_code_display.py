"""Agency codes where people look for agencies: the lists' search boxes (a whole code, or its
tail: "H33" is the province and everything under it), the agency selects, and the pages of
a certificate, a device and a letter."""

import pytest
from django.urls import reverse

from agencies.services import organization_code_set
from requests_app.models import CertRequest
from tests import factories as f
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def coded(cast):
    organization_code_set(organization=cast.province_1, code="000.00.00.H33", by=None)
    organization_code_set(organization=cast.agency_a, code="000.00.05.H33", by=None)
    organization_code_set(organization=cast.agency_b, code="000.00.06.H33", by=None)
    organization_code_set(organization=cast.agency_c, code="000.00.05.H34", by=None)


@pytest.fixture
def world(cast, coded):
    made = {}
    for key in ("agency_a", "agency_b", "agency_c"):
        agency = getattr(cast, key)
        person = f.PersonFactory(organization=agency)
        device = f.DeviceFactory(agency=agency, holder=person)
        made[key] = {
            "certificate": f.CertificateFactory(person=person, agency=agency, device=device),
            "device": device,
            "letter": CertRequest.objects.create(agency=agency, form="01", created_by=cast.clerk_a),
        }
    return made


def listed(client, url, key, q):
    response = client.get(url, {"q": q})
    assert response.status_code == 200
    return response.context[key]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("000.00.05.H33", {"agency_a"}),
        ("000.00.05.h33", {"agency_a"}),
        ("H33", {"agency_a", "agency_b"}),
        ("000.00.05", {"agency_a", "agency_c"}),
    ],
)
def test_the_certificate_and_device_lists_find_agencies_by_code(client, cast, world, q, expected):
    sign_in(client, cast.ca_operator)
    certificates = listed(client, reverse("certificates:list"), "certificates", q)
    assert {c.serial for c in certificates} == {world[k]["certificate"].serial for k in expected}
    devices = listed(client, reverse("devices:list"), "devices", q)
    assert {d.serial for d in devices} == {world[k]["device"].serial for k in expected}


@pytest.mark.parametrize("q", ["000.00.06.H33", "000.00.05.H34", "H34", "06.H33"])
def test_a_clerk_finds_nothing_by_the_code_of_an_agency_out_of_scope(client, cast, world, q):
    # Sở Y tế (000.00.06.H33) and Đà Nẵng's Sở Xây dựng (000.00.05.H34) are not clerk_a's.
    sign_in(client, cast.clerk_a)
    assert not listed(client, reverse("certificates:list"), "certificates", q)
    assert not listed(client, reverse("devices:list"), "devices", q)


def test_a_clerk_finds_their_own_agency_by_its_code(client, cast, world):
    sign_in(client, cast.clerk_a)
    for q in ("000.00.05.H33", "H33"):
        certificates = listed(client, reverse("certificates:list"), "certificates", q)
        assert {c.serial for c in certificates} == {world["agency_a"]["certificate"].serial}
        devices = listed(client, reverse("devices:list"), "devices", q)
        assert {d.serial for d in devices} == {world["agency_a"]["device"].serial}


def test_the_letters_list_finds_letters_by_their_agencys_code(client, cast, world):
    sign_in(client, cast.clerk_a)
    letters = listed(client, reverse("requests_app:list"), "letters", "000.00.05.H33")
    assert {letter.pk for letter in letters} == {world["agency_a"]["letter"].pk}
    assert not listed(client, reverse("requests_app:list"), "letters", "000.00.06.H33")


def test_the_agency_select_shows_each_agencys_code(client, cast, world):
    sign_in(client, cast.ca_operator)
    page = client.get(reverse("certificates:list"), {"province": cast.province_1.pk})
    options = dict(page.context["filter"].form.fields["agency"].widget.choices)
    assert options[cast.agency_a.pk] == "Sở Tài chính tỉnh Lai Châu · 000.00.05.H33"


def test_the_certificate_device_and_letter_pages_show_the_agencys_code(client, cast, world):
    a = world["agency_a"]
    sign_in(client, cast.clerk_a)
    for url in (
        reverse("certificates:detail", args=[a["certificate"].serial]),
        reverse("devices:detail", args=[a["device"].pk]),
        reverse("requests_app:detail", args=[a["letter"].pk]),
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        assert "000.00.05.H33</abbr>" in page.content.decode(), url
