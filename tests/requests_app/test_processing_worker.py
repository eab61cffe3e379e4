"""Processing runs in a real Celery worker on real Redis, not in the web request, and the
letter's progress bar follows it to 100 % (docs/processing.md §4)."""

import time

import pytest
from django.db import transaction
from django.urls import reverse

from certificates.choices import CertStatus
from devices.choices import DeviceStatus
from requests_app.choices import Outcome, Status
from requests_app.models import CertRequest
from tests.helpers import sign_in
from tests.requests_app.letters import letter_at, post_action

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROWS = 8


def _poll_progress(client, cert_request, *, timeout=120.0) -> list[tuple[int, str]]:
    """Poll the progress fragment as the page's htmx does until processing ends."""
    url = reverse("requests_app:progress", args=[cert_request.pk])
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(url, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        seen.append((response.context["progress"]["percent"], response.get("HX-Refresh", "")))
        if response.get("HX-Refresh"):
            return seen
        time.sleep(0.1)
    raise AssertionError(f"processing did not finish in {timeout} s: {seen[-3:]}")


@pytest.mark.usefixtures("ca", "redis_worker")
def test_the_worker_issues_a_01_letter_and_the_progress_reaches_100(cast, client):
    cert_request = letter_at(cast, Status.FORWARDED, rows=ROWS, accepted=True)
    sign_in(client, cast.ca_operator)

    started = time.monotonic()
    response = post_action(client, cert_request, "process")
    assert response.status_code == 302
    assert time.monotonic() - started < 5, "the web request must not do the processing"
    # The letter held (its row locked; on SQLite the write lock) while the page is read, so
    # that the worker, which locks the letter for each step, cannot finish first.
    with transaction.atomic():
        CertRequest.objects.select_for_update().get(pk=cert_request.pk)
        page = client.get(reverse("requests_app:detail", args=[cert_request.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page  # the page polls while the worker runs

    seen = _poll_progress(client, cert_request)

    percents = [percent for percent, _ in seen]
    assert percents == sorted(percents), "progress never goes backwards"
    assert percents[-1] == 100
    assert seen[-1][1] == "true"  # the page reloads once to show the outcomes
    cert_request.refresh_from_db()
    assert cert_request.status == Status.DONE
    figures = CertRequest.objects.with_progress().get(pk=cert_request.pk)
    assert (figures.rows_processed, figures.rows_to_process) == (ROWS, ROWS)
    rows = list(cert_request.rows.select_related("result_certificate", "result_device"))
    assert {row.outcome for row in rows} == {Outcome.DONE}
    assert all(row.result_certificate.status == CertStatus.VALID for row in rows)
    assert all(row.result_device.status == DeviceStatus.DELIVERED_TO_AGENCY for row in rows)

    page = client.get(reverse("requests_app:detail", args=[cert_request.pk])).content.decode()
    assert 'hx-trigger="every 1s"' not in page  # polling stops once done
    for row in rows:
        assert row.result_certificate.serial in page


@pytest.mark.usefixtures("ca", "redis_worker")
def test_a_redelivered_task_changes_nothing(cast, client):
    from requests_app.tasks import cert_request_run_processing_task

    cert_request = letter_at(cast, Status.FORWARDED, rows=2, accepted=True)
    sign_in(client, cast.ca_operator)
    post_action(client, cert_request, "process")
    _poll_progress(client, cert_request)
    before = list(cert_request.rows.values_list("pk", "outcome", "result_certificate"))

    # The same message again (acks_late: a worker lost after the work redelivers it).
    cert_request_run_processing_task.apply(args=[cert_request.pk]).get()
    cert_request.refresh_from_db()
    assert cert_request.status == Status.DONE
    assert list(cert_request.rows.values_list("pk", "outcome", "result_certificate")) == before
    assert (
        CertRequest.objects.get(pk=cert_request.pk).transitions.filter(action="complete").count()
        == 1
    )
