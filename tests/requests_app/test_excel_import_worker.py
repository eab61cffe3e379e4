"""A letter's Excel import with a real Celery worker on the real Redis broker
(docs/architecture.md §4.7): the upload answers before anything is read, the page shows the
progress bar while the job waits, the worker reads 500 rows, and a job whose message was lost is
queued again by the sweep and read.

The worker is started inside each test, after the upload, so the job is seen waiting first.
"""

import time

import pytest
from django.urls import reverse

from portal.imports import import_jobs_sweep
from portal.models import ImportJob
from tests.factories import letter_draft, mau01_people_upload
from tests.helpers import HTMX, running_worker, sign_in

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
    assert confirmed.url == reverse("requests_app:edit", args=[cert_request.pk])
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
