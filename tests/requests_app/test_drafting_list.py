"""The letters list: columns, counts, filters, and its query budget."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from requests_app import services
from requests_app.choices import FormKind, Status
from requests_app.models import CertRequest
from tests.factories import (
    LETTER_CONTACT,
    letter_draft,
    letter_row_add,
    letter_rows_bulk,
)
from tests.helpers import count_queries, sign_in

pytestmark = pytest.mark.django_db


# --- the list ------------------------------------------------------------------------------
def test_list_columns_counts_and_overdue_flag(client, cast):
    late = letter_draft(cast)
    letter_row_add(cert_request=late, by=cast.clerk_a)
    letter_row_add(
        cert_request=late, by=cast.clerk_a, national_id="012190005678", email="b@laichau.gov.vn"
    )
    CertRequest.objects.filter(pk=late.pk).update(
        status=Status.PROVINCE_REVIEW,
        number="12/STC-CKS",
        issued_on=date(2026, 3, 5),
        due_on=timezone.localdate() - timedelta(days=1),
    )
    on_time = letter_draft(cast, form=FormKind.REVOKE)
    sign_in(client, cast.clerk_a)
    response = client.get(reverse("requests_app:list"))
    letters = {letter.pk: letter for letter in response.context["letters"]}
    assert letters[late.pk].row_count == 2 and letters[late.pk].is_overdue
    assert letters[on_time.pk].row_count == 0 and not letters[on_time.pk].is_overdue
    html = response.content.decode()
    assert "05/03/2026" in html and "12/STC-CKS" in html and "quá hạn" in html
    assert "Soạn văn bản mới" in html
    for kind in FormKind.values:
        assert f"?mau={kind}" in html


def test_the_overdue_flag_agrees_with_the_overdue_verb(cast):
    """`with_overdue()` reads each letter's own columns; `overdue()` is the rule."""
    today = timezone.localdate()
    for status in Status.values:
        for due_on in (None, today - timedelta(days=1), today, today + timedelta(days=1)):
            letter = letter_draft(cast)
            CertRequest.objects.filter(pk=letter.pk).update(status=status, due_on=due_on)
    flagged = {
        pk
        for pk, flag in CertRequest.objects.with_overdue().values_list("pk", "is_overdue")
        if flag
    }
    assert flagged == set(CertRequest.objects.overdue().values_list("pk", flat=True))
    assert flagged  # some letters are overdue, and not all
    assert CertRequest.objects.with_overdue().filter(is_overdue=False).exists()


def test_list_filters_by_form_status_and_number(client, cast):
    person = letter_draft(cast)
    revoke = letter_draft(cast, form=FormKind.REVOKE)
    CertRequest.objects.filter(pk=revoke.pk).update(number="7/STC-CKS")
    sign_in(client, cast.clerk_a)
    url = reverse("requests_app:list")
    assert [x.pk for x in client.get(url, {"form": "01"}).context["letters"]] == [person.pk]
    assert [x.pk for x in client.get(url, {"q": "7/STC"}).context["letters"]] == [revoke.pk]
    assert list(client.get(url, {"status": "done"}).context["letters"]) == []


def test_officers_filter_by_agency_of_their_province(client, cast):
    for agency, clerk in ((cast.agency_a, cast.clerk_a), (cast.agency_b, cast.clerk_b)):
        cert_request = services.cert_request_create(
            agency=agency, form=FormKind.ISSUE_PERSON, by=clerk, **LETTER_CONTACT
        )
        CertRequest.objects.filter(pk=cert_request.pk).update(
            status=Status.PROVINCE_REVIEW, issued_on=date(2026, 3, 5), number="1/CKS"
        )
    sign_in(client, cast.officer_1)
    response = client.get(reverse("requests_app:list"), {"agency": cast.agency_b.pk})
    assert [x.agency_id for x in response.context["letters"]] == [cast.agency_b.pk]
    options = response.context["filter"].form.fields["agency"].queryset
    assert cast.agency_c not in options


def test_the_agency_head_is_told_what_waits_for_signature(client, cast):
    cert_request = letter_draft(cast)
    letter_row_add(cert_request, cast.clerk_a)
    services.cert_request_submit(cert_request=cert_request, by=cast.clerk_a)
    sign_in(client, cast.head_a)
    response = client.get(reverse("requests_app:list"))
    assert response.context["awaiting_signature"] == 1
    assert "chờ bạn ký" in response.content.decode()
    assert response.context["can_draft"] is False


@pytest.mark.parametrize("persona", ["clerk_a", "head_a", "officer_1", "ca_operator"])
def test_list_query_budget_does_not_grow_with_the_page(client, cast, persona):
    sign_in(client, getattr(cast, persona))
    url = reverse("requests_app:list")

    def letters(n):
        for _ in range(n):
            letter_rows_bulk(letter_draft(cast), 2)
        # Issued and forwarded, so that the officer and the CA see them too.
        CertRequest.objects.update(
            status=Status.FORWARDED,
            number="1/CKS",
            issued_on=date(2026, 3, 5),
            forwarded_at=timezone.now(),
            due_on=date(2026, 3, 10),
        )

    letters(10)
    ten = count_queries(client, url, {"page_size": 100})
    letters(90)
    hundred = count_queries(client, url, {"page_size": 100})
    assert CertRequest.objects.count() == 100
    assert hundred == ten
    assert ten <= 12


def test_agency_and_province_filters_are_offered_to_who_sees_many_agencies(client, cast):
    for persona, fields in (
        ("clerk_a", {"q", "form", "status"}),
        ("officer_1", {"q", "form", "status", "agency"}),
        ("ca_operator", {"q", "form", "status", "agency", "province"}),
    ):
        sign_in(client, getattr(cast, persona))
        response = client.get(reverse("requests_app:list"))
        assert set(response.context["filter"].form.fields) == fields, persona
