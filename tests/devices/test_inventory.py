"""Inventory pages: filters, pagination, the Excel export of the filtered list (scoped by
visible_to), and the device page with its custody chain."""

from datetime import date

import pytest
from django.urls import reverse

from devices.choices import DeviceKind, DeviceStatus, ReturnReason
from devices.services import device_return_obligation_open
from tests import factories as f
from tests.export_reading import column, read_export
from tests.helpers import sign_in

D = DeviceStatus
pytestmark = pytest.mark.django_db


@pytest.fixture
def devices(cast):
    return {
        "a_token": f.DeviceFactory(
            agency=cast.agency_a, holder=cast.subscriber, status=D.HANDED_TO_SUBSCRIBER
        ),
        "a_locked": f.DeviceFactory(agency=cast.agency_a, status=D.LOCKED),
        "b_token": f.DeviceFactory(agency=cast.agency_b, status=D.HANDED_TO_SUBSCRIBER),
        "c_token": f.DeviceFactory(agency=cast.agency_c, status=D.HANDED_TO_SUBSCRIBER),
        "stock": f.DeviceFactory(agency=None, status=D.IN_CA_STOCK),
        "sim": f.DeviceFactory(
            kind=DeviceKind.SIM_PKI,
            serial="8984048000123456789",
            iccid="8984048000123456789",
            phone="0912345678",
            carrier="viettel",
            agency=cast.agency_a,
            status=D.DELIVERED_TO_AGENCY,
        ),  # fmt: skip
    }


def serials(response) -> set[str]:
    return {d.serial for d in response.context["devices"]}


def test_each_role_sees_its_own_inventory(cast, client, devices):
    expected = {
        "clerk_a": {"a_token", "a_locked", "sim"},
        "officer_1": {"a_token", "a_locked", "sim", "b_token"},
        "officer_2": {"c_token"},
        "ca_operator": set(devices),
        "subscriber_user": {"a_token"},
    }
    for persona, names in expected.items():
        sign_in(client, getattr(cast, persona))
        response = client.get(reverse("devices:list"))
        assert serials(response) == {devices[n].serial for n in names}, persona


def test_filters_by_kind_status_holder_and_overdue_return(cast, client, devices):
    device_return_obligation_open(
        device=devices["a_token"], reason=ReturnReason.REVOKED, notified_on=date(2020, 1, 6),
        by=None,
    )  # fmt: skip
    sign_in(client, cast.clerk_a)
    url = reverse("devices:list")
    assert serials(client.get(url, {"kind": "sim_pki"})) == {devices["sim"].serial}
    assert serials(client.get(url, {"status": "locked"})) == {devices["a_locked"].serial}
    name = cast.subscriber.full_name.split()[-1]
    assert serials(client.get(url, {"q": name})) == {devices["a_token"].serial}
    assert serials(client.get(url, {"q": "0912345678"})) == {devices["sim"].serial}
    assert serials(client.get(url, {"overdue_return": "yes"})) == {devices["a_token"].serial}
    assert devices["a_token"].serial not in serials(client.get(url, {"overdue_return": "no"}))
    page = client.get(url, {"overdue_return": "yes"}).content.decode()
    assert 'data-overdue="true"' in page and "Quá hạn" in page


def test_the_list_is_paginated(cast, client):
    for _ in range(30):
        f.DeviceFactory(agency=cast.agency_a)
    sign_in(client, cast.clerk_a)
    url = reverse("devices:list")
    seen = []
    response = client.get(url, {"page_size": 10})
    for _ in range(3):
        page = response.context["page"]
        assert len(page.object_list) == 10
        seen += [device.pk for device in page.object_list]
        if page.has_next:
            response = client.get(f"{url}?{page.next_query}")
    assert not page.has_next and page.count.exact and page.count.value == 30
    assert len(set(seen)) == 30


def test_the_export_is_the_filtered_list_within_scope(cast, client, devices):
    sign_in(client, cast.officer_1)
    response = client.get(
        reverse("devices:list"), {"xuat": "xlsx", "status": "handed_to_subscriber"}
    )
    headers, lines = read_export(response)
    exported = column(headers, lines, "Số hiệu")
    assert {cell.value for cell in exported} == {
        devices["a_token"].serial,
        devices["b_token"].serial,
    }
    assert all(cell.data_type == "s" for cell in exported)
    assert headers[-2:] == ["Hạn bàn giao lại", "Quá hạn"]


def test_the_agency_and_province_pages_fix_their_scope(cast, client, devices):
    sign_in(client, cast.ca_operator)
    agency = client.get(reverse("devices:agency", args=[cast.agency_a.pk]))
    assert serials(agency) == {devices[n].serial for n in ("a_token", "a_locked", "sim")}
    assert "agency" not in agency.context["filter"].form.fields
    province = client.get(reverse("devices:province", args=[cast.province_2.pk]))
    assert serials(province) == {devices["c_token"].serial}
    stock = client.get(reverse("devices:stock"))
    assert serials(stock) == {devices["stock"].serial}


def test_the_device_page_shows_its_custody_chain(cast, client, handed):
    sign_in(client, cast.clerk_a)
    response = client.get(reverse("devices:detail", args=[handed.pk]))
    html = response.content.decode()
    assert [r.status for r in response.context["custody"]] == [
        D.DELIVERED_TO_AGENCY,
        D.HANDED_TO_SUBSCRIBER,
    ]
    assert "Mẫu 07 số" in html
    assert response.context["actions"] == {"lock", "lose"}


def test_the_list_links_to_the_agency_and_province_inventories_the_user_may_open(
    cast, client, devices
):
    agency_url = reverse("devices:agency", args=[cast.agency_a.pk])
    province_url = reverse("devices:province", args=[cast.province_1.pk])
    expected = {
        "clerk_a": (True, False),
        "officer_1": (True, True),
        "ca_operator": (True, True),
        "subscriber_user": (False, False),
    }
    for persona, (agency_link, province_link) in expected.items():
        sign_in(client, getattr(cast, persona))
        html = client.get(reverse("devices:list")).content.decode()
        assert (agency_url in html, province_url in html) == (agency_link, province_link), persona
        if agency_link:
            assert client.get(agency_url).status_code == 200
        if province_link:
            assert client.get(province_url).status_code == 200
