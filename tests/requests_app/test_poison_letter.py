"""A letter whose processing always fails is not retried for ever (docs/processing.md
§4.5): after PORTAL_PROCESSING_MAX_ATTEMPTS attempts it is "Xử lý thất
bại" with its error, its processor and the administrators are told once, and the processor's
"Xử lý lại" queues it again; once the cause is fixed, it completes.

Here the worker's body runs in the test's process (the queue is the list of letters the services
queued); tests/requests_app/test_processing_faults.py drives the same with real workers and
beat on a real Redis."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEvent, Notification
from requests_app import services
from requests_app.choices import Status
from requests_app.lifecycle import ACTIONS
from requests_app.models import CertRequest
from requests_app.tasks import cert_request_run_processing_task
from tests.helpers import sign_in
from tests.requests_app.letters import letter_at, post_action
from tests.requests_app.poison import cure, poison

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    """The letters the services put on the queue (the broker itself: test_processing_faults)."""
    sent: list[int] = []
    monkeypatch.setattr(
        "requests_app.services.processing.enqueue_processing",
        lambda pk: sent.append(pk) or True,
    )
    return sent


def _run_queued(queued: list[int]) -> None:
    """The worker takes every queued message (a failure is the task's, as Celery sees it)."""
    while queued:
        result = cert_request_run_processing_task.apply(args=[queued.pop(0)])
        assert result.failed() or result.successful()


def _stall(letter) -> None:
    """The stall window passes without a sign of life."""
    CertRequest.objects.filter(pk=letter.pk).update(
        progress_at=timezone.now() - timedelta(seconds=600)
    )


@pytest.fixture
def poisoned(cast, settings, queued):
    settings.PORTAL_PROCESSING_MAX_ATTEMPTS = 3
    settings.PORTAL_PROCESSING_STALL_SECONDS = 180
    letter = letter_at(cast, Status.FORWARDED, accepted=True)
    poison(letter.pk)
    services.cert_request_process(cert_request=letter, by=cast.ca_operator)
    return letter


def _attempts_until_given_up(letter, queued) -> int:
    for attempt in range(1, 10):
        _run_queued(queued)
        letter.refresh_from_db()
        if letter.status != Status.IN_PROCESS:
            return attempt
        assert letter.processing_attempts == attempt
        _stall(letter)
        assert services.cert_request_resume_stalled() == 1
    raise AssertionError("the letter was retried for ever")


def test_a_letter_whose_processing_always_fails_is_given_up_after_the_attempts(
    cast, poisoned, queued
):
    letter = poisoned

    assert _attempts_until_given_up(letter, queued) == 3

    assert letter.status == Status.PROCESSING_FAILED
    assert letter.get_status_display() == "Xử lý thất bại"
    assert letter.processing_error.startswith("Lỗi hệ thống khi xử lý văn bản (")
    assert "the registry refused" not in letter.processing_error  # the log's, not the page's
    assert letter.transitions.filter(action="processing_fail").count() == 1
    assert AuditEvent.objects.filter(action="cert_request.processing_fail").count() == 1
    # The sweep leaves it alone from now on.
    _stall(letter)
    assert services.cert_request_resume_stalled() == 0
    assert queued == []


def test_the_ca_operator_and_the_administrators_are_told_once(cast, poisoned, queued):
    _attempts_until_given_up(poisoned, queued)
    # A redelivered message of the last attempt fails again: nobody is told twice.
    cert_request_run_processing_task.apply(args=[poisoned.pk])

    told = Notification.objects.filter(kind="processing_failed")
    assert sorted(told.values_list("user__username", flat=True)) == sorted(
        [cast.ca_operator.username, cast.admin.username]
    )
    assert all(str(poisoned.number) in n.message for n in told)
    assert all(n.url == reverse("requests_app:detail", args=[poisoned.pk]) for n in told)


def test_a_letter_whose_last_attempt_stalls_is_given_up_by_the_sweep(cast, settings, queued):
    """A letter that kills its worker each time leaves no error: the sweep gives it up."""
    settings.PORTAL_PROCESSING_MAX_ATTEMPTS = 2
    letter = letter_at(cast, Status.FORWARDED, accepted=True)
    services.cert_request_process(cert_request=letter, by=cast.ca_operator)
    for _attempt in range(2):
        queued.clear()  # the worker dies with the message
        _stall(letter)
        services.cert_request_resume_stalled()

    letter.refresh_from_db()
    assert letter.status == Status.PROCESSING_FAILED
    assert letter.processing_error == "Việc xử lý không có tiến triển sau lần thử cuối."
    assert Notification.objects.filter(kind="processing_failed", user=cast.ca_operator).exists()


def test_the_ca_operator_retries_a_failed_letter_and_once_fixed_it_completes(
    cast, client, poisoned, queued, django_capture_on_commit_callbacks
):
    _attempts_until_given_up(poisoned, queued)
    sign_in(client, cast.ca_operator)
    page = client.get(reverse("requests_app:detail", args=[poisoned.pk])).content.decode()
    assert "Xử lý thất bại sau 3 lần thử" in page
    assert str(ACTIONS["retry"].button) in page

    cure()
    with django_capture_on_commit_callbacks(execute=True):
        response = post_action(client, poisoned, "retry")

    assert response.status_code == 302
    poisoned.refresh_from_db()
    assert poisoned.status == Status.IN_PROCESS
    assert (poisoned.processing_attempts, poisoned.processing_error) == (1, "")
    assert queued == [poisoned.pk]
    assert AuditEvent.objects.filter(action="cert_request.retry", actor=cast.ca_operator).exists()
    _run_queued(queued)
    poisoned.refresh_from_db()
    assert poisoned.status == Status.DONE


def test_only_the_processor_may_retry(cast, client, poisoned, queued):
    _attempts_until_given_up(poisoned, queued)
    for user in (cast.clerk_a, cast.officer_1):
        client.logout()
        sign_in(client, user)
        assert post_action(client, poisoned, "retry").status_code in (403, 404)
    poisoned.refresh_from_db()
    assert poisoned.status == Status.PROCESSING_FAILED
    assert queued == []
