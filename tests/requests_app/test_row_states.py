"""Row states that say who decided what, counters refreshed with the per-row decision that
changed them, and history naming people by full name (docs/architecture.md §7)."""

import pytest
from django.urls import reverse

from agencies.models import Person
from requests_app import services
from requests_app.choices import Status
from tests import factories as f
from tests.helpers import HTMX, sign_in
from tests.requests_app.letters import letter_at

pytestmark = pytest.mark.django_db


def _decide(client, letter, row, decision, note=""):
    url = reverse("requests_app:row_decide", args=[letter.pk, row.pk])
    data = {"decision": decision, "expected": row.outcome, "note": note}
    return client.post(url, data, **HTMX)


def test_a_row_the_province_accepted_reads_so_accepted_for_clerk_after_forwarding(client, cast):
    letter = letter_at(cast, Status.PROVINCE_REVIEW, rows=2)
    first, second = letter.rows.order_by("position")
    services.row_decide(row=first, by=cast.officer_1, accept=True)
    services.row_decide(row=second, by=cast.officer_1, accept=False, note="Sai số định danh")
    services.cert_request_forward(cert_request=letter, by=cast.officer_1)

    sign_in(client, cast.clerk_a)
    html = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()
    assert 'data-decision="province-accepted"' in html
    assert "Sở KH&amp;CN đã chấp nhận" in html
    assert 'data-decision="province-refused"' in html
    assert "Sai số định danh" in html
    assert "Chờ xem xét" not in html


def test_a_row_decision_by_htmx_returns_the_counters_out_of_band(client, cast):
    letter = letter_at(cast, Status.PROVINCE_REVIEW, rows=2)
    first = letter.rows.order_by("position").first()
    sign_in(client, cast.officer_1)

    html = _decide(client, letter, first, "accept").content.decode()

    assert 'id="dem-dong" class="muted small row-counts" data-row-counts hx-swap-oob="true"' in html
    assert '<span data-count="province-accepted">Sở KH&amp;CN đã chấp nhận: 1</span>' in html
    assert '<span data-count="pending">Chờ xem xét: 1</span>' in html


def test_history_shows_the_actors_full_name_and_role_not_the_username(client, cast):
    letter = letter_at(cast, Status.PROVINCE_REVIEW)
    person = f.PersonFactory(organization=cast.agency_a, full_name="Nguyễn Thị Thu Hà")
    Person.objects.filter(pk=person.pk).update(user=cast.clerk_a)
    sign_in(client, cast.clerk_a)

    html = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()
    history = html[html.index('id="lich-su"') :]

    assert "Nguyễn Thị Thu Hà" in history
    assert cast.clerk_a.username not in history
    assert "Cán bộ đầu mối" in history or cast.agency_a.name in history


def test_the_letter_page_counts_rows_by_who_decided_them_before_and_after_forwarding(client, cast):
    """The counters read with the letter (`with_row_figures`) tell the Sở's decisions, made
    before the letter was forwarded, from the CA's, made after, leave undecided rows pending,
    and agree with each row's own reading (`RequestRow.decision`), edge cases included."""
    from collections import Counter

    from requests_app.models import CertRequest, RequestRow

    letter = letter_at(cast, Status.PROVINCE_REVIEW, rows=7)
    rows = list(letter.rows.order_by("position"))
    services.row_decide(row=rows[0], by=cast.officer_1, accept=True)
    services.row_decide(row=rows[1], by=cast.officer_1, accept=True)
    services.row_decide(row=rows[2], by=cast.officer_1, accept=False, note="Sai ngày sinh")
    services.cert_request_forward(cert_request=letter, by=cast.officer_1)
    rows[1].refresh_from_db()
    services.row_decide(row=rows[1], by=cast.ca_operator, accept=False, note="Trùng chứng thư")
    services.row_decide(row=rows[3], by=cast.ca_operator, accept=True)
    # Edge cases written directly: decided at the very instant of the forwarding (the Sở's),
    # and a decider without a time (undecided).
    letter.refresh_from_db()
    RequestRow.objects.filter(pk=rows[4].pk).update(
        outcome="accepted", decided_by=cast.officer_1, decided_at=letter.forwarded_at
    )
    RequestRow.objects.filter(pk=rows[5].pk).update(decided_by=cast.officer_1, decided_at=None)

    sign_in(client, cast.ca_operator)
    html = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()
    assert '<span data-count="province-accepted">Sở KH&amp;CN đã chấp nhận: 2</span>' in html
    assert '<span data-count="province-refused">Sở KH&amp;CN đã từ chối: 1</span>' in html
    assert '<span data-count="ca-refused">CA đã từ chối: 1</span>' in html
    assert '<span data-count="ca-accepted">CA đã chấp nhận: 1</span>' in html
    assert '<span data-count="pending">Chờ xem xét: 2</span>' in html

    letter = CertRequest.objects.with_row_figures().get(pk=letter.pk)
    figures = RequestRow.objects.row_figures(letter)
    each_row = Counter(row.decision for row in RequestRow.objects.filter(cert_request=letter))
    assert {(state, label): n for state, label, n in figures.decisions} == dict(each_row)
    assert figures.total == 7
