"""A letter's rows are their own endpoint (docs/api.md §9, §12.6): the letters carry
a row count and the address of their rows, which page by cursor in STT order, scoped as the
letter is."""

import pytest

from requests_app.choices import Status
from requests_app.models import RequestRow
from tests.api.calls import api_as, rows_of
from tests.helpers import count_queries
from tests.requests_app.letters import letter_at

pytestmark = pytest.mark.django_db


def more_rows(letter, n):
    """`n` more rows after the letter's last, written directly (the API only reads them)."""
    start = letter.rows.count() + 1
    RequestRow.objects.bulk_create(
        RequestRow(cert_request=letter, position=p, full_name=f"Người thứ {p}")
        for p in range(start, start + n)
    )


def rows_url(letter):
    return f"/api/v1/van-ban/{letter.pk}/dong/"


def test_the_letters_list_gives_a_row_count_and_a_link_instead_of_the_rows(cast):
    letter = letter_at(cast, Status.DRAFT, rows=2)
    more_rows(letter, 5)
    body = api_as(cast.clerk_a).get("/api/v1/van-ban/").json()
    (answer,) = body["results"]
    assert "rows" not in answer
    assert answer["row_count"] == 7
    assert answer["rows_url"] == f"http://testserver{rows_url(letter)}"


def test_a_letters_detail_gives_a_row_count_and_a_link_instead_of_the_rows(cast):
    letter = letter_at(cast, Status.DRAFT, rows=3)
    answer = api_as(cast.clerk_a).get(f"/api/v1/van-ban/{letter.pk}/").json()
    assert "rows" not in answer
    assert answer["row_count"] == 3
    assert answer["rows_url"].endswith(rows_url(letter))


def test_the_rows_are_walked_by_cursor_in_their_order_without_repeat_or_gap(cast):
    letter = letter_at(cast, Status.DRAFT, rows=1)
    more_rows(letter, 6)
    client = api_as(cast.clerk_a)
    first = client.get(rows_url(letter), {"page_size": 3}).json()
    assert [r["position"] for r in first["results"]] == [1, 2, 3]
    assert first["previous"] is None and "count" not in first
    second = client.get(first["next"]).json()
    assert [r["position"] for r in second["results"]] == [4, 5, 6]
    third = client.get(second["next"]).json()
    assert [r["position"] for r in third["results"]] == [7]
    assert third["next"] is None


def test_the_rows_follow_the_letters_scope(cast):
    draft = letter_at(cast, Status.DRAFT)
    assert api_as(cast.clerk_b).get(rows_url(draft)).status_code == 404
    # an agency's unsent draft is not the province's to see, nor the CA's
    assert api_as(cast.officer_1).get(rows_url(draft)).status_code == 404
    assert api_as(cast.ca_operator).get(rows_url(draft)).status_code == 404
    received = letter_at(cast, Status.PROVINCE_REVIEW)
    assert api_as(cast.officer_1).get(rows_url(received)).status_code == 200
    assert api_as(cast.officer_2).get(rows_url(received)).status_code == 404


def test_an_unknown_letters_rows_and_a_forged_cursor_are_404(cast):
    client = api_as(cast.clerk_a)
    assert client.get("/api/v1/van-ban/99999999/dong/").status_code == 404
    letter = letter_at(cast, Status.DRAFT)
    assert client.get(rows_url(letter), {"cursor": "gia-mao"}).status_code == 404


def test_the_rows_pages_cost_the_same_queries_first_or_last_and_for_1_or_20_rows(cast):
    letter = letter_at(cast, Status.DRAFT, rows=1)
    client = api_as(cast.clerk_a)
    one = count_queries(client, rows_url(letter))
    more_rows(letter, 59)
    first = count_queries(client, rows_url(letter), {"page_size": 20})
    body = client.get(rows_url(letter), {"page_size": 20}).json()
    body = client.get(body["next"]).json()
    last = count_queries(client, body["next"])
    assert one == first == last


def test_the_letters_list_costs_the_same_queries_for_letters_of_1_or_30_rows(cast):
    letter = letter_at(cast, Status.DRAFT, rows=1)
    client = api_as(cast.clerk_a)
    few = count_queries(client, "/api/v1/van-ban/")
    more_rows(letter, 29)
    letter_at(cast, Status.DRAFT, rows=2)
    assert count_queries(client, "/api/v1/van-ban/") == few


def test_a_created_letters_rows_are_read_back_from_its_rows_endpoint(cast):
    letter = letter_at(cast, Status.DRAFT, rows=2)
    client = api_as(cast.clerk_a)
    answer = client.get(f"/api/v1/van-ban/{letter.pk}/")
    assert [r["position"] for r in rows_of(client, answer)] == [1, 2]


def test_the_rows_answer_with_a_format_suffix_as_without(cast):
    """The router also serves `dong.json`; the action takes the suffix's `format` argument
    instead of failing with a server error."""
    letter = letter_at(cast, Status.DRAFT, rows=2)
    client = api_as(cast.clerk_a)
    plain = client.get(rows_url(letter))
    suffixed = client.get(f"/api/v1/van-ban/{letter.pk}/dong.json")
    assert suffixed.status_code == plain.status_code == 200
    assert suffixed.json()["results"] == plain.json()["results"]
