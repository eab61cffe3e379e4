"""Twenty people approving one letter at the same instant produce exactly one transition;
the nineteen others get a clear message, never an error page (docs/processing.md §4).

PostgreSQL only: SQLite serialises whole-database writes, so it would prove nothing about
`select_for_update`. Each thread has its own database connection and waits at a barrier.
"""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from agencies.choices import Role
from portal.errors import DomainError
from requests_app import services
from requests_app.choices import Status
from requests_app.models import CertRequest, Transition
from tests import factories as f
from tests.helpers import postgresql_only, sign_in
from tests.requests_app.letters import letter_at

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

PEOPLE = 20


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        postgresql_only("the concurrency tests")


def _colleagues(first, role, organization, n):
    """`first` plus n - 1 more users holding the same role in the same organisation."""
    users = [first]
    for i in range(1, n):
        user = f.UserFactory(username=f"{first.username}_{i}")
        f.MembershipFactory(user=user, role=role, organization=organization)
        users.append(user)
    return users


def _at_once(work, n=PEOPLE):
    """Run work(i) in n threads released together; returns what each returned or raised."""
    barrier = threading.Barrier(n, timeout=30)
    results: list = [None] * n

    def run(i):
        try:
            results[i] = work(i, barrier)
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


@pytest.mark.parametrize(
    ("action", "stage", "role", "organization"),
    [
        ("forward", Status.PROVINCE_REVIEW, Role.PROVINCIAL_OFFICER, "office_1"),
        ("issue", Status.AWAITING_HEAD, Role.AGENCY_HEAD, "agency_a"),
    ],
)
def test_twenty_simultaneous_approvals_through_the_service_make_one_transition(
    cast, action, stage, role, organization
):
    cert_request = letter_at(cast, stage)
    first = cast.officer_1 if action == "forward" else cast.head_a
    people = _colleagues(first, role, getattr(cast, organization), PEOPLE)
    call = getattr(services, f"cert_request_{action}")

    def work(i, barrier):
        letter = CertRequest.objects.select_related("agency").get(pk=cert_request.pk)
        user = type(people[i]).objects.get(pk=people[i].pk)
        barrier.wait()
        call(cert_request=letter, by=user)
        return "moved"

    results = _at_once(work)

    unexpected = [r for r in results if r != "moved" and not isinstance(r, DomainError)]
    assert unexpected == [], unexpected
    assert results.count("moved") == 1
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == PEOPLE - 1
    assert {r.code for r in refused} == {"stale_status"}
    assert all("đã chuyển sang bước khác" in r.message for r in refused)
    assert Transition.objects.filter(cert_request=cert_request, action=action).count() == 1
    cert_request.refresh_from_db()
    expected = Status.FORWARDED if action == "forward" else Status.ISSUED
    assert cert_request.status == expected


def test_twenty_officers_clicking_forward_at_once_see_one_success_and_no_error_page(cast):
    cert_request = letter_at(cast, Status.PROVINCE_REVIEW)
    officers = _colleagues(cast.officer_1, Role.PROVINCIAL_OFFICER, cast.office_1, PEOPLE)
    url = reverse("requests_app:action", args=[cert_request.pk, "forward"])
    detail = reverse("requests_app:detail", args=[cert_request.pk])

    def work(i, barrier):
        client = Client()
        sign_in(client, officers[i])
        barrier.wait()
        response = client.post(url)
        page = client.get(detail).content.decode()
        return response.status_code, response.get("Location"), page

    results = _at_once(work)

    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    assert {(status, location) for status, location, _ in results} == {(302, detail)}
    pages = [page for _, _, page in results]
    winners = [p for p in pages if "Đã chuyển văn bản đến Cục Chứng thực số" in p]
    assert len(winners) == 1
    losers = [p for p in pages if p not in winners]
    assert len(losers) == PEOPLE - 1
    for page in losers:
        # Either they raced inside the lock, or arrived after the move: both say so plainly.
        assert "đang ở trạng thái" in page or "đã chuyển sang bước khác" in page
    assert Transition.objects.filter(cert_request=cert_request, action="forward").count() == 1
