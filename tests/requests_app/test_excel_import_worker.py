"""A letter's Excel import with a real Celery worker on the real Redis broker
(docs/processing.md §4.7): the upload answers before anything is read, the page shows the
progress bar while the job waits, the worker reads 500 rows and, once confirmed, saves them; a
job whose message was lost is queued again by the sweep and read; a worker process killed
(SIGKILL) in the middle of a save leaves nothing half-written, and a new worker and beat finish it
once.

The worker is started inside each test, after the upload, so the job is seen waiting first.
"""

import time

import pytest
from django.urls import reverse

from portal.imports import import_jobs_sweep
from portal.models import ImportJob
from requests_app.excel.jobs import letter_import_confirm, letter_import_start
from requests_app.tasks import letter_import_parse_task
from tests.celery_processes import CeleryProcesses, RedisServer, producing_to
from tests.factories import letter_draft, mau01_people_upload
from tests.helpers import HTMX, postgresql_only, running_worker, service_missing, sign_in

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
S = ImportJob.Status


def _wait_until_done(client, page_url, timeout=120) -> list[str]:
    """Poll the job page as htmx does, until it answers with a refresh; the fragments seen."""
    fragments = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(page_url, **HTMX)
        if response.get("HX-Refresh") == "true":
            return fragments
        fragments.append(response.content.decode())
        time.sleep(0.2)
    raise AssertionError(f"the job did not finish: {fragments[-1:]}")


def test_a_500_row_sheet_is_read_by_the_worker_after_the_upload_answered(redis_app, cast, client):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)

    upload = client.post(
        reverse("requests_app:import", args=[cert_request.pk]),
        {"file": mau01_people_upload(500)},
    )
    job = ImportJob.objects.get()
    page_url = reverse("requests_app:import_job", args=[cert_request.pk, job.pk])
    assert upload.status_code == 302 and upload.url == page_url
    assert job.status == S.QUEUED, "no worker runs yet: nothing was read in the request"
    waiting = client.get(page_url).content.decode()
    assert "Đang chờ xử lý" in waiting and "<progress" in waiting
    assert 'hx-trigger="every 1s"' in waiting

    with running_worker(redis_app):
        fragments = _wait_until_done(client, page_url)

    job.refresh_from_db()
    assert (job.status, job.rows_total, job.rows_done) == (S.READY, 500, 500)
    assert len(job.result["good"]) == 500 and job.result["problems"] == []
    assert all("<progress" in fragment for fragment in fragments)
    preview = client.get(page_url)
    assert preview.context["good_count"] == 500
    assert "Xác nhận thêm 500 dòng hợp lệ" in preview.content.decode()
    confirmed = client.post(reverse("requests_app:import_confirm", args=[cert_request.pk, job.pk]))
    assert confirmed.url == page_url, "the confirmation only queues the save"
    assert ImportJob.objects.get(pk=job.pk).status == S.CONFIRMING
    assert not cert_request.rows.exists()
    with running_worker(redis_app):
        _wait_until_done(client, page_url)
    assert client.get(page_url).url == reverse("requests_app:edit", args=[cert_request.pk])
    assert cert_request.rows.count() == 500


def test_a_job_whose_message_was_lost_is_queued_again_by_the_sweep(
    redis_app, cast, client, settings
):
    settings.PORTAL_IMPORT_STALL_SECONDS = 0
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    client.post(
        reverse("requests_app:import", args=[cert_request.pk]), {"file": mau01_people_upload(5)}
    )
    job = ImportJob.objects.get()
    assert redis_app.control.purge() == 1, "the job's message was on the queue: now lost"

    with running_worker(redis_app):
        time.sleep(1)
        assert ImportJob.objects.get(pk=job.pk).status == S.QUEUED, "nothing to deliver"
        assert import_jobs_sweep()["requeued"] == 1
        _wait_until_done(client, reverse("requests_app:import_job", args=[cert_request.pk, job.pk]))

    job.refresh_from_db()
    assert (job.status, job.rows_done, job.attempt) == (S.READY, 5, 1)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    if server.exe is None:
        service_missing("redis-server (Debian package redis-server) for the worker kill test")
    yield server
    server.stop()


def test_a_save_whose_worker_is_killed_is_finished_once_by_the_next_worker(
    cast, redis_server, tmp_path
):
    postgresql_only("worker processes on the test database")
    rows = 3000
    cert_request = letter_draft(cast)
    job = letter_import_start(
        cert_request=cert_request, upload=mau01_people_upload(rows), by=cast.clerk_a
    )
    assert letter_import_parse_task(job.pk) == "ready"  # the parse, in this process
    redis_server.start()
    knobs = {"PORTAL_IMPORT_STALL_SECONDS": 4, "PORTAL_PROCESSING_SWEEP_SECONDS": 1}
    first = CeleryProcesses(redis_server.url, tmp_path, **knobs)
    second = CeleryProcesses(redis_server.url, tmp_path, **knobs)
    try:
        doomed = first.worker()
        with producing_to(redis_server.url):
            letter_import_confirm(job=job, cert_request=cert_request, by=cast.clerk_a)
        deadline = time.monotonic() + 90
        while ImportJob.objects.get(pk=job.pk).status != S.SAVING:
            assert time.monotonic() < deadline, first.logs()
            time.sleep(0.02)
        first.kill(doomed)
        killed = ImportJob.objects.get(pk=job.pk)
        assert killed.status == S.SAVING, "the worker finished before it could be killed"
        assert not cert_request.rows.exists(), "nothing half-written"

        second.worker()
        second.beat()
        deadline = time.monotonic() + 120
        while ImportJob.objects.get(pk=job.pk).status != S.CONFIRMED:
            assert time.monotonic() < deadline, second.logs()
            time.sleep(0.2)
    finally:
        first.stop_all()
        second.stop_all()
    job.refresh_from_db()
    assert job.attempt == 2, "claimed again after the kill"
    assert cert_request.rows.count() == rows
    assert cert_request.imports.get().rows == rows
    assert len(set(cert_request.rows.values_list("national_id", flat=True))) == rows
