"""A letter of many rows shows them a page at a time, on its page and in the editor, with
counters that count every row (docs/scale.md §12.6)."""

import re

import pytest
from django.urls import reverse

from requests_app import services
from requests_app.choices import Outcome, Status
from requests_app.models import RequestRow
from tests.helpers import HTMX, count_queries, sign_in
from tests.requests_app.letters import letter_at, person_row

pytestmark = pytest.mark.django_db


def more_rows(letter, n):
    """`n` more valid rows after the letter's last (written directly: the pages only read)."""
    start = letter.rows.count() + 1
    RequestRow.objects.bulk_create(
        RequestRow(cert_request=letter, position=p, **{**person_row(), "national_id": f"{p:012d}"})
        for p in range(start, start + n)
    )


def positions(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="dong-\d+"[^>]*data-row="(\d+)"', html)]


def detail(letter, **query):
    url = reverse("requests_app:detail", args=[letter.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_the_letter_page_shows_fifty_rows_a_page_in_their_order(client, cast):
    letter = letter_at(cast, Status.PROVINCE_REVIEW, rows=1)
    more_rows(letter, 119)
    sign_in(client, cast.officer_1)
    first = client.get(detail(letter)).content.decode()
    assert positions(first) == list(range(1, 51))
    assert "Dòng 1–50 / 120" in first
    last = client.get(detail(letter, page=3)).content.decode()
    assert positions(last) == list(range(101, 121))
    bigger = client.get(detail(letter, page_size=100, page=2)).content.decode()
    assert positions(bigger) == list(range(101, 121))
    assert "page_size=100&amp;page=1" in bigger, "the pager keeps the chosen size"


def test_a_short_letter_has_no_pager(client, cast):
    letter = letter_at(cast, Status.PROVINCE_REVIEW, rows=3)
    sign_in(client, cast.officer_1)
    html = client.get(detail(letter)).content.decode()
    assert positions(html) == [1, 2, 3]
    assert "data-row-pager" not in html


def test_the_counters_count_every_row_not_the_rows_shown(client, cast):
    letter = letter_at(cast, Status.PROVINCE_REVIEW, rows=1)
    more_rows(letter, 59)
    for row in letter.rows.filter(position__gt=55):
        services.row_decide(row=row, by=cast.officer_1, accept=False, note="Sai")
    sign_in(client, cast.officer_1)
    html = client.get(detail(letter)).content.decode()
    assert '<span data-count="pending">Chờ xem xét: 55</span>' in html
    assert '<span data-count="province-refused">Sở KH&amp;CN đã từ chối: 5</span>' in html
    assert 'data-pending="55"' in html
    assert positions(html) == list(range(1, 51)), "the refused rows are on page 2"


def test_a_row_decided_on_the_last_page_swaps_the_letters_whole_counters(client, cast):
    letter = letter_at(cast, Status.PROVINCE_REVIEW, rows=1)
    more_rows(letter, 69)
    row = letter.rows.get(position=70)
    sign_in(client, cast.officer_1)
    url = reverse("requests_app:row_decide", args=[letter.pk, row.pk])
    page = f"http://testserver{detail(letter, page=2)}"
    response = client.post(
        url, {"decision": "accept", "expected": Outcome.PENDING}, HTTP_HX_CURRENT_URL=page, **HTMX
    )
    html = response.content.decode()
    assert f'id="dong-{row.pk}"' in html
    assert 'hx-swap-oob="true"' in html
    assert '<span data-count="pending">Chờ xem xét: 69</span>' in html
    assert '<span data-count="province-accepted">Sở KH&amp;CN đã chấp nhận: 1</span>' in html
    assert "70 dòng" in html
    assert 'data-pending="69"' in html


def test_a_plain_post_decision_comes_back_to_the_rows_page(client, cast):
    letter = letter_at(cast, Status.PROVINCE_REVIEW, rows=1)
    more_rows(letter, 69)
    row = letter.rows.get(position=70)
    sign_in(client, cast.officer_1)
    url = reverse("requests_app:row_decide", args=[letter.pk, row.pk])
    response = client.post(url, {"decision": "accept", "expected": Outcome.PENDING})
    assert response.url == f"{detail(letter, page=2)}#dong-{row.pk}"


def test_the_letter_page_costs_the_same_queries_on_the_first_and_last_page(client, cast):
    """At most 11 (docs/scale.md §12.6 lists them): the session, the user with their
    unread count, the second factor, the scope, then the letter with its counters (and, in
    the same query, what its page says of its edXML messages and its Sở's address), its rows,
    history, PDF versions with their newest signature check, deadlines, the calendar's
    overrides and, a version being signed, the letter's e-mails."""
    letter = letter_at(cast, Status.PROVINCE_REVIEW, rows=1)
    sign_in(client, cast.officer_1)
    short = count_queries(client, detail(letter))
    assert short <= 11
    more_rows(letter, 149)
    assert count_queries(client, detail(letter)) == short
    assert count_queries(client, detail(letter, page=3)) == short


def test_the_editor_shows_the_draft_a_page_at_a_time(client, cast):
    letter = letter_at(cast, Status.DRAFT, rows=1)
    more_rows(letter, 59)
    sign_in(client, cast.clerk_a)
    url = reverse("requests_app:edit", args=[letter.pk])
    first = client.get(url).content.decode()
    assert len(re.findall(r'<tr id="dong-\d+" class="row', first)) == 50
    assert "Dòng 1–50 / 60" in first
    assert "60 dòng" in first
    second = client.get(url + "?page=2").content.decode()
    assert len(re.findall(r'<tr id="dong-\d+" class="row', second)) == 10


def test_deleting_a_row_rerenders_the_page_the_clerk_is_on(client, cast):
    letter = letter_at(cast, Status.DRAFT, rows=1)
    more_rows(letter, 59)
    sign_in(client, cast.clerk_a)
    row = letter.rows.get(position=55)
    url = reverse("requests_app:row_delete", args=[letter.pk, row.pk])
    current = "http://testserver" + reverse("requests_app:edit", args=[letter.pk]) + "?page=2"
    html = client.post(url, HTTP_HX_CURRENT_URL=current, **HTMX).content.decode()
    assert len(re.findall(r'<tr id="dong-\d+" class="row', html)) == 9
    assert "Dòng 51–59 / 59" in html
    assert 'id="trang-dong" hx-swap-oob="true"' in html
