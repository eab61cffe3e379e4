"""Excel exports of the letters list and the two work queues (the page's own filtered, scoped
queryset, Vietnamese headers, letter numbers as text cells, a query count that does not grow
with the rows), and a letter's own Excel after it left the draft stage."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agencies.services import organization_code_set
from requests_app.choices import FormKind, Status
from requests_app.models import CertRequest
from tests.export_reading import column, export_bytes, read_export, values
from tests.helpers import sign_in
from tests.requests_app.letters import letter_at

pytestmark = pytest.mark.django_db
LIST = reverse("requests_app:list")
INBOX = reverse("requests_app:province_inbox")
CA_QUEUE = reverse("requests_app:ca_queue")


def _letters(cast, agency, n, *, status=Status.PROVINCE_REVIEW, form=FormKind.ISSUE_PERSON):
    """`n` letters of `agency` straight into the table (list tests, not rules)."""
    today = timezone.localdate()
    prefix = agency.name[-6:].replace(" ", "")
    return CertRequest.objects.bulk_create(
        CertRequest(
            form=form,
            agency=agency,
            status=status,
            created_by=cast.clerk_a,
            number=f"0{i + 1}/{prefix}",
            issued_on=today,
            received_on=today,
            due_on=today + timedelta(days=5),
            forwarded_at=timezone.now() if status == Status.FORWARDED else None,
        )
        for i in range(n)
    )


@pytest.fixture
def letters(cast):
    return {
        "a": _letters(cast, cast.agency_a, 1)[0],
        "a_renew": _letters(cast, cast.agency_a, 1, form=FormKind.RENEW_CHANGE)[0],
        "b": _letters(cast, cast.agency_b, 1)[0],
        "c": _letters(cast, cast.agency_c, 1)[0],
    }


def numbers(*letters) -> set[str]:
    return {letter.number for letter in letters}


# --- the letters list ----------------------------------------------------------------------
def test_the_letters_export_has_the_vietnamese_headers(cast, client, letters):
    sign_in(client, cast.clerk_a)
    headers, _lines = read_export(client.get(LIST, {"xuat": "xlsx"}))
    assert headers[:4] == ["STT", "Số văn bản", "Ngày ban hành", "Mẫu"]
    assert {"Cơ quan", "Trạng thái", "Số dòng", "Hạn xử lý", "Quá hạn"} <= set(headers)


def test_the_letters_export_names_the_agency_by_its_official_code(cast, client, letters):
    organization_code_set(organization=cast.agency_a, code="000.00.05.H33", by=None)
    sign_in(client, cast.clerk_a)
    headers, lines = read_export(client.get(LIST, {"xuat": "xlsx"}))
    assert values(headers, lines, "Mã định danh cơ quan") == {"000.00.05.H33"}


def test_a_clerk_exports_only_their_agencys_letters(cast, client, letters):
    sign_in(client, cast.clerk_a)
    headers, lines = read_export(client.get(LIST, {"xuat": "xlsx"}))
    assert values(headers, lines, "Số văn bản") == numbers(letters["a"], letters["a_renew"])


def test_the_province_exports_its_agencies_letters(cast, client, letters):
    sign_in(client, cast.officer_1)
    headers, lines = read_export(client.get(LIST, {"xuat": "xlsx"}))
    expected = numbers(letters["a"], letters["a_renew"], letters["b"])
    assert values(headers, lines, "Số văn bản") == expected


def test_the_letters_export_applies_the_current_filter(cast, client, letters):
    sign_in(client, cast.officer_1)
    response = client.get(LIST, {"xuat": "xlsx", "form": FormKind.RENEW_CHANGE})
    assert values(*read_export(response), "Số văn bản") == numbers(letters["a_renew"])


def test_letter_numbers_are_text_cells_and_dates_dd_mm_yyyy(cast, client, letters):
    sign_in(client, cast.clerk_a)
    headers, lines = read_export(client.get(LIST, {"xuat": "xlsx"}))
    assert {cell.data_type for cell in column(headers, lines, "Số văn bản")} == {"s"}
    assert values(headers, lines, "Ngày ban hành") == {timezone.localdate().strftime("%d/%m/%Y")}


def test_the_letters_page_offers_the_export_with_its_filter(cast, client, letters):
    sign_in(client, cast.clerk_a)
    body = client.get(LIST, {"form": "01"}).content.decode()
    assert 'href="?form=01&amp;xuat=xlsx"' in body


def _export_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        export_bytes(client.get(url, {"xuat": "xlsx"}))
    return len(queries)


def test_exporting_30_letters_costs_the_same_queries_as_3(cast, client):
    sign_in(client, cast.officer_1)
    _letters(cast, cast.agency_a, 3)
    few = _export_queries(client, LIST)
    _letters(cast, cast.agency_b, 27)
    assert _export_queries(client, LIST) == few


# --- the queues ----------------------------------------------------------------------------
def test_the_province_inbox_export_is_the_provinces_queue(cast, client, letters):
    sign_in(client, cast.officer_1)
    headers, lines = read_export(client.get(INBOX, {"xuat": "xlsx"}))
    assert {"Ngày tiếp nhận", "Dòng chờ xử lý", "Dòng chấp nhận", "Dòng từ chối"} <= set(headers)
    expected = numbers(letters["a"], letters["a_renew"], letters["b"])
    assert values(headers, lines, "Số văn bản") == expected
    assert {cell.data_type for cell in column(headers, lines, "Số văn bản")} == {"s"}


def test_the_province_inbox_export_applies_the_current_filter(cast, client, letters):
    sign_in(client, cast.officer_1)
    response = client.get(INBOX, {"xuat": "xlsx", "agency": cast.agency_b.pk})
    assert values(*read_export(response), "Số văn bản") == numbers(letters["b"])


def test_the_ca_queue_export_lists_forwarded_letters_of_every_province(cast, client, letters):
    forwarded = [
        *_letters(cast, cast.agency_a, 1, status=Status.FORWARDED),
        *_letters(cast, cast.agency_c, 1, status=Status.FORWARDED),
    ]
    sign_in(client, cast.ca_operator)
    headers, lines = read_export(client.get(CA_QUEUE, {"xuat": "xlsx"}))
    assert values(headers, lines, "Số văn bản") == numbers(*forwarded)


def test_a_clerk_cannot_export_a_queue(cast, client, letters):
    sign_in(client, cast.clerk_a)
    assert client.get(INBOX, {"xuat": "xlsx"}).status_code == 403


def test_exporting_a_queue_of_30_costs_the_same_queries_as_3(cast, client):
    sign_in(client, cast.officer_1)
    _letters(cast, cast.agency_a, 3)
    few = _export_queries(client, INBOX)
    _letters(cast, cast.agency_b, 27)
    assert _export_queries(client, INBOX) == few


# --- a letter's own Excel ------------------------------------------------------------------
def test_a_submitted_letter_page_offers_its_excel_and_it_downloads(cast, client):
    letter = letter_at(cast, Status.AWAITING_HEAD)
    url = reverse("requests_app:export", args=[letter.pk])
    sign_in(client, cast.head_a)
    assert url in client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()
    assert export_bytes(client.get(url)).startswith(b"PK")


def test_another_agency_gets_404_for_a_letters_excel(cast, client):
    letter = letter_at(cast, Status.AWAITING_HEAD)
    sign_in(client, cast.clerk_c)
    assert client.get(reverse("requests_app:export", args=[letter.pk])).status_code == 404
