"""A large export built by a real Celery worker on real Redis (docs/scale.md §12.5): the
click queues the job, the worker replays the list for its owner and the owner downloads the
file; a clerk of another agency gets 404 on both; a job whose task was lost is queued again by
the beat sweep and built."""

import io
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from config.storage import FILE_SYSTEM
from portal.export_jobs.service import export_jobs_sweep
from portal.models import ExportJob
from tests import factories as f
from tests.helpers import running_worker, sign_in

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
S = ExportJob.Status
DEVICES = reverse("devices:list")


@pytest.fixture(autouse=True)
def _small_threshold(settings, tmp_path):
    settings.PORTAL_EXPORT_INLINE_MAX_ROWS = 2
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {"BACKEND": FILE_SYSTEM, "OPTIONS": {"location": tmp_path / "exports"}},
    }


@pytest.fixture
def devices(cast):
    for n in range(4):
        f.DeviceFactory(agency=cast.agency_a, serial=f"VT000000A{n}")
    f.DeviceFactory(agency=cast.agency_b, serial="VT000000B0")
    f.DeviceFactory(agency=cast.agency_c, serial="VT000000C0")


def _wait(job, status=S.READY, timeout=60.0) -> ExportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status == status:
            return job
        time.sleep(0.2)
    raise AssertionError(f"export job still {job.status} after {timeout} s")


def _serials(response) -> list:
    body = b"".join(response.streaming_content)
    lines = list(load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))
    start = next(i for i, line in enumerate(lines) if line[0] == "STT")
    index = lines[start].index("Số hiệu")
    return sorted(line[index] for line in lines[start + 1 :])


@pytest.mark.usefixtures("redis_worker")
def test_the_worker_builds_a_large_export_for_its_owner_only(cast, client, devices):
    sign_in(client, cast.clerk_a)
    response = client.get(DEVICES, {"xuat": "xlsx"})
    job = ExportJob.objects.get()
    assert response.url == reverse("portal:export_job", args=[job.pk])
    job = _wait(job)
    assert (job.rows_done, job.rows_total) == (4, 4)
    download = reverse("portal:export_download", args=[job.pk])
    assert _serials(client.get(download)) == [f"VT000000A{n}" for n in range(4)]

    sign_in(client, cast.clerk_b)
    assert client.get(reverse("portal:export_job", args=[job.pk])).status_code == 404
    assert client.get(download).status_code == 404


def test_the_sweep_queues_a_job_whose_task_was_lost(cast, client, devices, redis_app, settings):
    settings.PORTAL_EXPORT_STALL_SECONDS = 120
    sign_in(client, cast.ca_operator)
    client.get(DEVICES, {"xuat": "xlsx"})
    job = ExportJob.objects.get()
    # The click committed the job but its message never reached a worker.
    redis_app.control.purge()
    ExportJob.objects.filter(pk=job.pk).update(touched_at=timezone.now() - timedelta(hours=1))
    assert export_jobs_sweep()["requeued"] == 1
    assert export_jobs_sweep()["requeued"] == 0, "claimed: not queued twice"
    with running_worker(redis_app):
        job = _wait(job)
    assert job.rows_done == 6 and job.attempt == 1
