"""A letter whose processing task was lost: the beat sweep queues it again exactly once per
stall window, and its processor sees it as stalled and can resume it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEvent
from requests_app import services
from requests_app.choices import Status
from requests_app.models import CertRequest
from tests.helpers import lease_on, sign_in
from tests.requests_app.letters import letter_at, post_action

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    """The letters the services put on the queue (the broker itself is tested with real
    workers in test_processing_faults)."""
    sent: list[int] = []
    monkeypatch.setattr(
        "requests_app.services.processing.enqueue_processing",
        lambda pk: sent.append(pk) or True,
    )
    return sent


def _in_process(cast, *, idle_seconds: int):
    letter = letter_at(cast, Status.FORWARDED, accepted=True)
    services.cert_request_process(cert_request=letter, by=cast.ca_operator)
    CertRequest.objects.filter(pk=letter.pk).update(
        progress_at=timezone.now() - timedelta(seconds=idle_seconds)
    )
    letter.refresh_from_db()
    return letter


def test_the_sweep_queues_a_letter_idle_past_the_stall_window_once(cast, settings, queued):
    settings.PORTAL_PROCESSING_STALL_SECONDS = 180
    stalled = _in_process(cast, idle_seconds=181)
    _in_process(cast, idle_seconds=60)  # still within its window

    assert services.cert_request_resume_stalled() == 1
    assert services.cert_request_resume_stalled() == 0  # claimed: not queued twice
    assert queued == [stalled.pk]


def test_the_ca_operator_sees_a_stalled_letter_and_resumes_it(
    cast, client, settings, queued, django_capture_on_commit_callbacks
):
    settings.PORTAL_PROCESSING_STALL_SECONDS = 180
    letter = _in_process(cast, idle_seconds=600)
    sign_in(client, cast.ca_operator)

    queue = client.get(reverse("requests_app:ca_queue")).content.decode()
    assert 'data-stalled="true"' in queue
    page = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()
    assert "Tiếp tục xử lý" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = post_action(client, letter, "resume")

    assert response.status_code == 302
    assert queued == [letter.pk]
    letter.refresh_from_db()
    assert not letter.is_stalled
    assert (
        AuditEvent.objects.filter(action="cert_request.resume", actor=cast.ca_operator).count() == 1
    )


def test_a_letter_still_making_progress_cannot_be_resumed(cast, client, queued):
    letter = _in_process(cast, idle_seconds=5)
    sign_in(client, cast.ca_operator)
    page = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()
    assert "Tiếp tục xử lý" not in page

    response = post_action(client, letter, "resume")

    assert response.status_code == 403
    assert queued == []


def test_the_clerk_cannot_resume_processing(cast, client, queued):
    letter = _in_process(cast, idle_seconds=600)
    sign_in(client, cast.clerk_a)
    assert post_action(client, letter, "resume").status_code == 403
    assert queued == []


def test_a_letter_whose_worker_holds_a_live_lease_is_not_stalled_until_that_lease_runs_out(
    cast, client, settings, queued
):
    """Idle past its window but its worker's lease (renewed from the worker's heartbeat while
    a chunk runs) ends a second from now: neither the sweep nor the processor may take it for
    stalled. A lease that ran out a second ago is a dead worker's: queued again, counted."""
    settings.PORTAL_PROCESSING_STALL_SECONDS = 180
    letter = _in_process(cast, idle_seconds=600)
    lease = lease_on(letter, expires_in=1)
    sign_in(client, cast.ca_operator)

    assert services.cert_request_resume_stalled() == 0
    assert not letter.is_stalled
    page = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()
    assert "Tiếp tục xử lý" not in page
    assert (
        'data-stalled="true"' not in client.get(reverse("requests_app:ca_queue")).content.decode()
    )
    assert post_action(client, letter, "resume").status_code == 403
    assert queued == []

    lease.delete()
    lease_on(letter, expires_in=-1)
    assert letter.is_stalled
    assert 'data-stalled="true"' in client.get(reverse("requests_app:ca_queue")).content.decode()
    assert services.cert_request_resume_stalled() == 1
    assert queued == [letter.pk]
    letter.refresh_from_db()
    assert letter.processing_attempts == 2


def test_the_sweep_leaves_a_letter_out_of_process_alone_however_old_its_progress(
    cast, settings, queued
):
    settings.PORTAL_PROCESSING_STALL_SECONDS = 180
    stalled = _in_process(cast, idle_seconds=600)
    given_up = _in_process(cast, idle_seconds=600)
    CertRequest.objects.filter(pk=given_up.pk).update(status=Status.PROCESSING_FAILED)
    given_up.refresh_from_db()

    assert services.cert_request_resume_stalled() == 1
    assert queued == [stalled.pk]
    after = CertRequest.objects.get(pk=given_up.pk)
    assert (after.status, after.progress_at, after.processing_attempts) == (
        Status.PROCESSING_FAILED, given_up.progress_at, given_up.processing_attempts,
    )  # fmt: skip
