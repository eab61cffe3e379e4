"""The Sở KH&CN inbox and the CA queue: earliest deadline first, overdue letters flagged,
filters, bulk actions, and a query count that does not grow with the page
(docs/architecture.md §2.13)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from certificates.choices import CertStatus
from portal.models import Notification
from requests_app import services
from requests_app.choices import FormKind, Outcome, Status
from requests_app.models import CertRequest, RequestRow
from tests.helpers import sign_in
from tests.requests_app.inbox import CA_QUEUE, INBOX, due_in, listed
from tests.requests_app.letters import certificate_of, draft, issue_signed, letter_at

pytestmark = pytest.mark.django_db


def make_letters(cast, n, *, rows=3, form=FormKind.ISSUE_PERSON, status=Status.PROVINCE_REVIEW):
    """Many letters at once, straight into the tables (for query counts, not for rules)."""
    today = timezone.localdate()
    letters = CertRequest.objects.bulk_create(
        [
            CertRequest(
                form=form,
                agency=cast.agency_a if i % 2 else cast.agency_b,
                status=status,
                created_by=cast.clerk_a,
                number=f"{i + 1}/CV-CKS",
                issued_on=today,
                received_on=today,
                due_on=today + timedelta(days=i % 9 - 2),
                forwarded_at=timezone.now() if status == Status.FORWARDED else None,
            )
            for i in range(n)
        ]
    )
    outcomes = [Outcome.PENDING, Outcome.ACCEPTED, Outcome.REFUSED]
    RequestRow.objects.bulk_create(
        [
            RequestRow(
                cert_request=letter,
                position=p + 1,
                full_name=f"Người thứ {p + 1}",
                outcome=outcomes[p % 3],
                is_open=False,
            )
            for letter in letters
            for p in range(rows)
        ]
    )
    return letters


# --- order, flags, counts ------------------------------------------------------------------
def test_the_inbox_lists_the_earliest_deadline_first(cast, client):
    later = due_in(letter_at(cast, Status.PROVINCE_REVIEW), 3)
    sooner = due_in(letter_at(cast, Status.PROVINCE_REVIEW), 1)
    late = due_in(letter_at(cast, Status.PROVINCE_REVIEW), -2)
    sign_in(client, cast.officer_1)
    assert listed(client.get(INBOX)) == [late.pk, sooner.pk, later.pk]


def test_overdue_letters_are_flagged(cast, client):
    late = due_in(letter_at(cast, Status.PROVINCE_REVIEW), -1)
    on_time = due_in(letter_at(cast, Status.PROVINCE_REVIEW), 0)
    sign_in(client, cast.officer_1)
    html = client.get(INBOX).content.decode()
    assert f'<tr data-letter="{late.pk}" class="is-overdue" data-overdue="true">' in html
    assert f'<tr data-letter="{on_time.pk}">' in html


def test_a_renewal_about_to_become_impossible_comes_first(cast, client):
    """docs/domain.md §5: a certificate dropping under 30 days while its renewal waits."""
    urgent_certificate = certificate_of(cast.agency_a, days_left=45)
    renewal = letter_at(cast, Status.DRAFT, FormKind.RENEW_CHANGE)
    services.row_save(
        cert_request=renewal,
        by=cast.clerk_a,
        row=renewal.rows.get(),
        data={"certificate": urgent_certificate},
    )
    services.cert_request_submit(cert_request=renewal, by=cast.clerk_a)
    issue_signed(cast, renewal)
    first_due = due_in(letter_at(cast, Status.PROVINCE_REVIEW), -3)
    due_in(renewal, 2)
    sign_in(client, cast.officer_1)
    assert listed(client.get(INBOX)) == [first_due.pk, renewal.pk]

    # Twenty days on, the certificate has fewer than 30 days left: the renewal jumps the queue.
    urgent_certificate.not_after -= timedelta(days=20)
    urgent_certificate.save(update_fields=["not_after"])
    response = client.get(INBOX)
    assert listed(response) == [renewal.pk, first_due.pk]
    assert "Sắp hết hạn gia hạn" in response.content.decode()


@pytest.mark.parametrize(("days_left", "at_risk"), [(29, True), (30, False), (31, False)])
def test_a_renewal_is_at_risk_exactly_when_it_could_no_longer_be_renewed(cast, days_left, at_risk):
    """docs/domain.md §5.9: the queue's window is the renewal rule's, under 30 days left."""
    certificate = certificate_of(cast.agency_a, days_left=45)
    renewal = draft(cast, FormKind.RENEW_CHANGE, rows=0)
    services.row_save(
        cert_request=renewal, by=cast.clerk_a, data={"certificate": certificate, "renew": True}
    )
    # Time passes while the renewal waits: `days_left` whole days (and an hour) remain.
    type(certificate).objects.filter(pk=certificate.pk).update(
        not_after=timezone.now() + timedelta(days=days_left, hours=1)
    )

    figures = CertRequest.objects.filter(pk=renewal.pk).with_queue_figures().get()

    assert figures.renewal_at_risk is at_risk


def test_the_row_counts_are_per_outcome(cast, client):
    cert_request = letter_at(cast, Status.PROVINCE_REVIEW, rows=3)
    first, second, _ = cert_request.rows.order_by("position")
    services.row_decide(row=first, by=cast.officer_1, accept=True)
    services.row_decide(row=second, by=cast.officer_1, accept=False, note="Trùng")
    sign_in(client, cast.officer_1)
    letter = client.get(INBOX).context["letters"][0]
    assert (letter.rows_total, letter.rows_pending, letter.rows_accepted, letter.rows_refused) == (
        3,
        1,
        1,
        1,
    )


def test_the_inbox_holds_only_the_provinces_letters_waiting_for_it(cast, client):
    mine = letter_at(cast, Status.PROVINCE_REVIEW)
    letter_at(cast, Status.DRAFT)  # not sent yet
    letter_at(cast, Status.FORWARDED)  # gone to the CA
    in_process = letter_at(cast, Status.PROVINCE_REVIEW, FormKind.RECOVER_DEVICE, accepted=True)
    services.cert_request_process(cert_request=in_process, by=cast.officer_1)
    sign_in(client, cast.officer_1)
    assert set(listed(client.get(INBOX))) == {mine.pk, in_process.pk}
    sign_in(client, cast.officer_2)
    assert listed(client.get(INBOX)) == []


def test_the_ca_queue_holds_forwarded_letters_earliest_deadline_first(cast, client):
    letter_at(cast, Status.PROVINCE_REVIEW)
    b = due_in(letter_at(cast, Status.FORWARDED, FormKind.REVOKE), 2)
    a = due_in(letter_at(cast, Status.FORWARDED), 1)
    sign_in(client, cast.ca_operator)
    assert listed(client.get(CA_QUEUE)) == [a.pk, b.pk]


# --- filters (the mixed inbox: tests/requests_app/test_queue_filters.py) -------------------
def test_the_status_filter_offers_only_the_queues_statuses(cast, client):
    sign_in(client, cast.ca_operator)
    field = client.get(CA_QUEUE).context["filter"].form.fields["status"]
    assert [value for value, _ in field.choices if value] == [
        Status.FORWARDED,
        Status.IN_PROCESS,
        Status.PROCESSING_FAILED,  # given up: waits in the queue for "Xử lý lại"
    ]


def test_an_htmx_filter_answers_with_the_table_only(cast, client):
    letter_at(cast, Status.PROVINCE_REVIEW)
    sign_in(client, cast.officer_1)
    response = client.get(INBOX, {"form": "01"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html and 'name="ids"' in html


# --- bulk actions --------------------------------------------------------------------------------
def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_forwarding_the_selected_letters(cast, client):
    first = letter_at(cast, Status.PROVINCE_REVIEW)
    second = letter_at(cast, Status.PROVINCE_REVIEW, FormKind.REVOKE)
    left_alone = letter_at(cast, Status.PROVINCE_REVIEW)
    sign_in(client, cast.officer_1)
    response = client.post(INBOX, {"bulk": "forward", "ids": [first.pk, second.pk]}, follow=True)
    assert "Đã chuyển Cục CTS&BMTT 2 văn bản." in _messages(response)
    statuses = dict(CertRequest.objects.values_list("pk", "status"))
    assert statuses[first.pk] == statuses[second.pk] == Status.FORWARDED
    assert statuses[left_alone.pk] == Status.PROVINCE_REVIEW
    assert listed(response) == [left_alone.pk]


def test_bulk_forward_reports_what_it_could_not_do(cast, client):
    good = letter_at(cast, Status.PROVINCE_REVIEW)
    all_refused = letter_at(cast, Status.PROVINCE_REVIEW)
    services.row_decide(row=all_refused.rows.get(), by=cast.officer_1, accept=False, note="Sai")
    renewal = letter_at(cast, Status.PROVINCE_REVIEW, FormKind.RENEW_CHANGE)  # not forwarded
    a_draft = letter_at(cast, Status.DRAFT)  # not in the inbox
    sign_in(client, cast.officer_1)
    response = client.post(
        INBOX,
        {"bulk": "forward", "ids": [good.pk, all_refused.pk, renewal.pk, a_draft.pk]},
        follow=True,
    )
    shown = " ".join(_messages(response))
    assert "Đã chuyển Cục CTS&BMTT 1 văn bản." in shown
    assert "Không thực hiện được với 2 văn bản" in shown
    assert "Mọi dòng đều bị từ chối" in shown
    assert "1 văn bản không còn trong hàng đợi này." in shown
    statuses = dict(CertRequest.objects.values_list("pk", "status"))
    assert statuses[good.pk] == Status.FORWARDED
    assert statuses[all_refused.pk] == statuses[renewal.pk] == Status.PROVINCE_REVIEW
    assert statuses[a_draft.pk] == Status.DRAFT


def test_accepting_all_valid_rows_of_the_selected_letters(cast, client):
    first = letter_at(cast, Status.PROVINCE_REVIEW, rows=2)
    revocation = letter_at(cast, Status.PROVINCE_REVIEW, FormKind.REVOKE, rows=2)
    untouched = letter_at(cast, Status.PROVINCE_REVIEW)
    # One certificate was revoked meanwhile: its row no longer passes the rules.
    broken = revocation.rows.get(position=2).certificate
    broken.status = CertStatus.REVOKED
    broken.revoked_at = timezone.now()
    broken.revocation_reason = "key_compromise"
    broken.save(update_fields=["status", "revoked_at", "revocation_reason"])
    sign_in(client, cast.officer_1)
    response = client.post(
        INBOX, {"bulk": "accept_valid", "ids": [first.pk, revocation.pk]}, follow=True
    )
    assert (
        "Đã xem xét 2 văn bản: chấp nhận 3 dòng hợp lệ, 1 dòng chưa hợp lệ vẫn chờ."
        in _messages(response)
    )
    outcomes = dict(RequestRow.objects.values_list("pk", "outcome"))
    assert [outcomes[r.pk] for r in first.rows.all()] == [Outcome.ACCEPTED] * 2
    assert [outcomes[r.pk] for r in revocation.rows.order_by("position")] == [
        Outcome.ACCEPTED,
        Outcome.PENDING,
    ]
    assert outcomes[untouched.rows.get().pk] == Outcome.PENDING


def test_the_ca_queue_offers_no_forwarding(cast, client):
    forwarded = letter_at(cast, Status.FORWARDED)
    sign_in(client, cast.ca_operator)
    assert 'value="forward"' not in client.get(CA_QUEUE).content.decode()
    response = client.post(CA_QUEUE, {"bulk": "forward", "ids": [forwarded.pk]}, follow=True)
    assert "Thao tác hàng loạt không hợp lệ." in _messages(response)
    response = client.post(CA_QUEUE, {"bulk": "accept_valid", "ids": [forwarded.pk]}, follow=True)
    assert forwarded.rows.get().outcome == Outcome.ACCEPTED


def test_a_bulk_action_without_a_selection_changes_nothing(cast, client):
    letter = letter_at(cast, Status.PROVINCE_REVIEW)
    sign_in(client, cast.officer_1)
    response = client.post(INBOX, {"bulk": "forward"}, follow=True)
    assert "Hãy chọn ít nhất một văn bản." in _messages(response)
    letter.refresh_from_db()
    assert letter.status == Status.PROVINCE_REVIEW


def test_a_bulk_action_keeps_the_filters(cast, client):
    letter = letter_at(cast, Status.PROVINCE_REVIEW)
    sign_in(client, cast.officer_1)
    response = client.post(f"{INBOX}?form=01&page_size=10", {"bulk": "forward", "ids": [letter.pk]})
    assert response.url == f"{INBOX}?form=01&page_size=10"


# --- query budgets ---------------------------------------------------------------------------------
def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("url", "persona", "status"),
    [
        (INBOX, "officer_1", Status.PROVINCE_REVIEW),
        (CA_QUEUE, "ca_operator", Status.FORWARDED),
    ],
)
def test_a_queue_page_costs_the_same_at_10_and_100_letters(cast, client, url, persona, status):
    sign_in(client, getattr(cast, persona))
    make_letters(cast, 10, status=status)
    small = _count_queries(client, f"{url}?page_size=10")
    make_letters(cast, 90, status=status)
    large = _count_queries(client, f"{url}?page_size=100")
    assert len(client.get(f"{url}?page_size=100").context["letters"]) == 100
    assert small == large


def test_the_notifications_page_costs_the_same_at_10_and_100(cast, client):
    sign_in(client, cast.clerk_a)
    Notification.objects.bulk_create(
        [Notification(user=cast.clerk_a, message=f"Thông báo {i}") for i in range(10)]
    )
    small = _count_queries(client, f"{reverse('portal:notifications')}?page_size=10")
    Notification.objects.bulk_create(
        [Notification(user=cast.clerk_a, message=f"Thông báo {i}") for i in range(90)]
    )
    large = _count_queries(client, f"{reverse('portal:notifications')}?page_size=100")
    assert small == large


@pytest.mark.parametrize("form", [FormKind.ISSUE_PERSON, FormKind.RENEW_CHANGE])
def test_the_letter_page_costs_the_same_at_10_and_100_rows(cast, client, form):
    small = letter_at(cast, Status.PROVINCE_REVIEW, form, rows=10)
    large = letter_at(cast, Status.PROVINCE_REVIEW, form, rows=100)
    for letter in (small, large):
        for row in letter.rows.all()[::2]:
            services.row_decide(row=row, by=cast.officer_1, accept=True)
    sign_in(client, cast.officer_1)
    detail = "requests_app:detail"
    assert _count_queries(client, reverse(detail, args=[small.pk])) == _count_queries(
        client, reverse(detail, args=[large.pk])
    )


def test_the_ca_queues_agency_select_is_capped_but_keeps_the_chosen_agency(cast, monkeypatch):
    from agencies import filters as agency_filters
    from requests_app.filters_queue import QueueFilterSet

    monkeypatch.setattr("requests_app.filters_queue.AGENCY_OPTIONS_LIMIT", 1)
    assert agency_filters.AGENCY_OPTIONS_LIMIT > 1
    for agency in (cast.agency_a, cast.agency_b, cast.agency_c):
        CertRequest.objects.create(
            form=FormKind.ISSUE_PERSON,
            agency=agency,
            created_by=cast.admin,
            status=Status.FORWARDED,
            forwarded_at=timezone.now(),
        )
    queue = CertRequest.objects.all()
    first = sorted([cast.agency_a, cast.agency_b, cast.agency_c], key=lambda o: o.name)[0]
    last = sorted([cast.agency_a, cast.agency_b, cast.agency_c], key=lambda o: o.name)[-1]
    shown = QueueFilterSet({}, queryset=queue).form.fields["agency"].widget.choices
    assert [pk for pk, _name in shown] == ["", first.pk]
    chosen = QueueFilterSet({"agency": str(last.pk)}, queryset=queue)
    assert [pk for pk, _name in chosen.form.fields["agency"].widget.choices] == [
        "",
        first.pk,
        last.pk,
    ]
    assert set(chosen.qs) == set(queue.filter(agency=last))
