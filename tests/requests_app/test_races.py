"""Clicks racing on one letter, through the pages, on PostgreSQL: every action is decided on
the row as locked, so of twenty people clicking at once exactly one action is recorded and
the others are told plainly that someone acted first (never a 403 or an error page).

PostgreSQL only: SQLite serialises whole-database writes and has no row locks.
"""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from agencies.choices import Role
from portal.models import AuditEvent
from requests_app.choices import Outcome, Status
from requests_app.models import Transition
from tests import factories as f
from tests.helpers import postgresql_only, sign_in
from tests.requests_app.letters import letter_at

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        postgresql_only("the race tests")


def _officers(cast, n):
    users = [cast.officer_1]
    for i in range(1, n):
        user = f.UserFactory(username=f"officer_1_{i}")
        f.MembershipFactory(user=user, role=Role.PROVINCIAL_OFFICER, organization=cast.office_1)
        users.append(user)
    return users


def _at_once(posts):
    """Send every (user, url, data) POST from its own thread and connection, released
    together; returns (status, page after) per POST, or the exception it raised."""
    barrier = threading.Barrier(len(posts), timeout=30)
    results: list = [None] * len(posts)

    def run(i, user, url, data, back):
        try:
            client = Client()
            sign_in(client, user)
            barrier.wait()
            response = client.post(url, data)
            results[i] = (response.status_code, client.get(back).content.decode())
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, *post)) for i, post in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    return results


def test_ten_returns_and_ten_forwards_at_once_move_the_letter_exactly_once(cast):
    cert_request = letter_at(cast, Status.PROVINCE_REVIEW, accepted=True)
    officers = _officers(cast, 20)
    back = reverse("requests_app:detail", args=[cert_request.pk])

    def post(i):
        action = "return" if i % 2 else "forward"
        url = reverse("requests_app:action", args=[cert_request.pk, action])
        return officers[i], url, {"note": "Sai số định danh dòng 1"}, back

    results = _at_once([post(i) for i in range(20)])

    assert [r for r in results if isinstance(r, BaseException)] == []
    assert {status for status, _ in results} == {302}
    moves = Transition.objects.filter(cert_request=cert_request, action__in=["return", "forward"])
    assert moves.count() == 1
    cert_request.refresh_from_db()
    winner = moves.get()
    assert cert_request.status == (Status.DRAFT if winner.action == "return" else Status.FORWARDED)
    # The province never returns a letter it has already forwarded: that is the CA's move.
    assert not Transition.objects.filter(
        cert_request=cert_request, from_status=Status.FORWARDED
    ).exists()
    told = [page for _, page in results if "đã chuyển sang bước khác" in page]
    assert len(told) == 19


def test_ten_accepts_and_ten_refusals_of_one_row_record_exactly_one_decision(cast):
    cert_request = letter_at(cast, Status.PROVINCE_REVIEW)
    row = cert_request.rows.get()
    officers = _officers(cast, 20)
    url = reverse("requests_app:row_decide", args=[cert_request.pk, row.pk])
    back = reverse("requests_app:detail", args=[cert_request.pk])

    def post(i):
        decision = "refuse" if i % 2 else "accept"
        data = {"decision": decision, "note": "Ảnh giấy tờ mờ", "expected": Outcome.PENDING}
        return officers[i], url, data, back

    results = _at_once([post(i) for i in range(20)])

    assert [r for r in results if isinstance(r, BaseException)] == []
    assert {status for status, _ in results} == {302}
    decisions = AuditEvent.objects.filter(
        action__in=["request_row.accept", "request_row.refuse"], object_id=str(row.pk)
    )
    assert decisions.count() == 1
    row.refresh_from_db()
    expected = (
        Outcome.ACCEPTED if decisions.get().action == "request_row.accept" else Outcome.REFUSED
    )
    assert row.outcome == expected
    assert row.is_open == (expected == Outcome.ACCEPTED)
    told = [page for _, page in results if "vừa được người khác quyết định" in page]
    assert len(told) == 19


def test_a_refused_row_is_never_reopened_by_a_late_acceptance(cast, client):
    cert_request = letter_at(cast, Status.PROVINCE_REVIEW)
    row = cert_request.rows.get()
    sign_in(client, cast.officer_1)
    url = reverse("requests_app:row_decide", args=[cert_request.pk, row.pk])
    client.post(url, {"decision": "refuse", "note": "Không đúng đối tượng"})

    # A page loaded before the refusal still shows the row as pending.
    client.post(url, {"decision": "accept", "expected": Outcome.PENDING})

    row.refresh_from_db()
    assert (row.outcome, row.is_open) == (Outcome.REFUSED, False)
