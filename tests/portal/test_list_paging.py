"""The long lists page by cursor (portal.lib.paging.keyset_paginate, docs/architecture.md
§12.2): walking "Sau" to the end and back with "Trước" shows every row of the scope once, in
the list's order, even when the ordering column ties; a cursor that is not ours shows the
first page with a message, never an error; a jump lands on the right row; counts follow the
rule (exact up to the cap, "hơn" above it, "khoảng" for a whole table on PostgreSQL)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone

from certificates.models import Certificate
from devices.models import Device
from portal.lib import paging
from portal.lib.paging import count_rows, keyset_paginate
from tests import factories as f
from tests.helpers import sign_in
from tests.portal.list_builders import LISTS, T0

pytestmark = pytest.mark.django_db

SIZE = 10
ROWS = 23  # three pages of ten: 10, 10, 3

CASES = [(spec, who) for spec in LISTS for who in spec.users]
IDS = [f"{spec.name}-{who}" for spec, who in CASES]


def page_of(response):
    assert response.status_code == 200, response.status_code
    return response.context["page"]


def ids(page) -> list[int]:
    return [row.pk for row in page.object_list]


@pytest.mark.parametrize(("spec", "who"), CASES, ids=IDS)
def test_next_next_previous_shows_every_row_once_in_order(client, cast, spec, who):
    user = getattr(cast, who)
    expected = spec.build(cast, user, ROWS)
    assert len(expected) >= 2 * SIZE + 1, "the scope must span three pages"
    sign_in(client, user)

    first = page_of(client.get(spec.url, {"page_size": SIZE}))
    assert not first.has_previous and first.has_next
    pages = [first]
    while pages[-1].has_next:
        pages.append(page_of(client.get(f"{spec.url}?{pages[-1].next_query}")))
        assert len(pages) <= 10, "the walk does not end"
    walked = [pk for page in pages for pk in ids(page)]
    assert walked == expected  # no duplicate, no gap, the list's order
    assert all(len(page.object_list) == SIZE for page in pages[:-1])

    back = page_of(client.get(f"{spec.url}?{pages[-1].previous_query}"))
    assert ids(back) == ids(pages[-2]) and back.has_next
    again = page_of(client.get(f"{spec.url}?{back.previous_query}"))
    assert ids(again) == ids(pages[-3])
    assert again.has_previous == (len(pages) > 3)
    assert page_of(client.get(f"{spec.url}?{back.next_query}")).object_list == pages[-1].object_list


@pytest.mark.parametrize(("spec", "who"), CASES, ids=IDS)
def test_a_tampered_cursor_shows_the_first_page_with_a_message(client, cast, spec, who):
    user = getattr(cast, who)
    expected = spec.build(cast, user, ROWS)
    sign_in(client, user)
    following = page_of(client.get(spec.url, {"page_size": SIZE})).next_query
    tampered = following.replace("cursor=", "cursor=x", 1)

    for query in (tampered, "cursor=abc", f"page_size={SIZE}&cursor=e30:1a:zz"):
        response = client.get(f"{spec.url}?{query}")
        page = page_of(response)
        assert ids(page) == expected[: len(page.object_list)] and not page.has_previous
        assert "Đường dẫn phân trang không hợp lệ" in response.content.decode()


def test_a_cursor_of_another_list_is_refused(client, cast):
    for _ in range(12):
        f.CertificateFactory(person=cast.subscriber, agency=cast.agency_a)
        f.DeviceFactory(agency=cast.agency_a)
    sign_in(client, cast.clerk_a)
    devices_next = page_of(client.get("/thiet-bi/", {"page_size": SIZE})).next_query

    response = client.get(f"/chung-thu/?{devices_next}")

    assert page_of(response).error and not page_of(response).has_previous


def test_the_filters_and_page_size_travel_in_every_link(client, cast):
    for _ in range(25):
        f.CertificateFactory(person=cast.subscriber, agency=cast.agency_a)
    sign_in(client, cast.clerk_a)
    first = page_of(client.get("/chung-thu/", {"page_size": SIZE, "status": "valid"}))
    second = page_of(client.get(f"/chung-thu/?{first.next_query}"))

    for query in (first.next_query, second.previous_query, second.first_query):
        assert "page_size=10" in query and "status=valid" in query
    assert ("status", "valid") in second.keep and ("page_size", "10") in second.keep
    assert not any(name == "cursor" for name, _ in second.keep)


def test_a_jump_to_a_day_starts_at_that_day(client, cast):
    made = [
        f.CertificateFactory(
            person=cast.subscriber, agency=cast.agency_a, not_before=T0 - timedelta(days=i)
        )
        for i in range(30)
    ]
    sign_in(client, cast.clerk_a)
    day = timezone.localtime(made[12].not_before).date()

    response = client.get("/chung-thu/", {"page_size": SIZE, "den": day.strftime("%d/%m/%Y")})

    page = page_of(response)
    assert ids(page) == [c.pk for c in made[12:22]]
    assert page.has_previous and page.has_next
    assert ids(page_of(client.get(f"/chung-thu/?{page.previous_query}"))) == [
        c.pk for c in made[2:12]
    ]


def test_a_jump_to_a_serial_starts_at_the_first_device_at_or_after_it(client, cast):
    for serial in ("AA0001", "BB0002", "CC0003", "DD0004"):
        f.DeviceFactory(agency=cast.agency_a, kind="usb_token", serial=serial)
    f.DeviceFactory(agency=cast.agency_a, kind="sim_pki", serial="AA0009", iccid="8984000000000000009",
                    phone="0912345678", carrier="viettel")  # fmt: skip
    sign_in(client, cast.clerk_a)

    page = page_of(client.get("/thiet-bi/", {"den": "bb"}))

    # The list's order is (kind, serial): the SIM PKI AA0009 comes first, then the tokens.
    assert [d.serial for d in page.object_list] == ["BB0002", "CC0003", "DD0004"]
    assert page.has_previous


def test_a_bad_jump_says_so_and_shows_the_first_page(client, cast):
    for _ in range(3):
        f.CertificateFactory(person=cast.subscriber, agency=cast.agency_a)
    sign_in(client, cast.clerk_a)

    response = client.get("/chung-thu/", {"den": "31/02/2026"})

    assert len(page_of(response).object_list) == 3
    assert "Ngày không hợp lệ" in response.content.decode()


def test_counts_are_exact_up_to_the_cap_and_more_than_it_above(cast):
    for _ in range(12):
        f.CertificateFactory(person=cast.subscriber, agency=cast.agency_a)
    scoped = Certificate.objects.filter(agency=cast.agency_a)

    assert count_rows(scoped, cap=100) == paging.RowCount(12)
    assert count_rows(scoped, cap=10) == paging.RowCount(10, exact=False)


def test_the_page_says_more_than_the_cap(client, cast, monkeypatch):
    for _ in range(12):
        f.CertificateFactory(person=cast.subscriber, agency=cast.agency_a)
    monkeypatch.setattr(paging, "COUNT_CAP", 10)
    sign_in(client, cast.clerk_a)

    body = client.get("/chung-thu/").content.decode()

    assert "Tổng số: hơn 10" in body


def test_a_whole_table_is_estimated_on_postgresql_and_counted_elsewhere(cast):
    for _ in range(12):
        f.CertificateFactory(person=cast.subscriber, agency=cast.agency_a)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE certificates_certificate")

    count = count_rows(Certificate.objects.all(), cap=5)

    if connection.vendor == "postgresql":
        assert count.about and not count.exact and count.value == 12
    else:
        assert count == paging.RowCount(5, exact=False)


def test_only_offered_page_sizes_are_honoured(cast):
    for _ in range(12):
        f.DeviceFactory(agency=cast.agency_a)
    for asked, expected in (("10", 10), ("7", 12), ("abc", 12), ("100000", 12)):
        request = RequestFactory().get("/", {"page_size": asked})
        result = keyset_paginate(request, Device.objects.all())
        assert len(result["page"].object_list) == expected
