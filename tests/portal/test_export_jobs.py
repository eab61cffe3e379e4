"""Export jobs (docs/scale.md §12.5): a list larger than PORTAL_EXPORT_INLINE_MAX_ROWS
becomes a job; the worker replays the list page for its owner (same filters, scope evaluated
when it builds) into a private file; the task is safe to deliver twice; the sweep re-queues
lost jobs and deletes old files; a job and its file are its owner's alone. The task is the
shipped one, called here as the worker would (tests/portal/test_export_jobs_worker.py runs
a real worker)."""

import io
import os
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from agencies.choices import Role
from agencies.models import Membership
from config.storage import FILE_SYSTEM
from portal.export_jobs.service import MAX_ATTEMPTS, export_jobs_sweep
from portal.models import AuditEvent, ExportJob
from portal.tasks import export_job_build_task
from tests import factories as f
from tests.helpers import HTMX, answer, count_queries, sign_in

pytestmark = pytest.mark.django_db
S = ExportJob.Status
DEVICES = reverse("devices:list")
RETURNS = reverse("devices:returns")
# Queries of a job page (7 today, the same queued or ready: the session, the user and what
# the page frame reads for them, the job).
BUDGET = 8


@pytest.fixture(autouse=True)
def _small_threshold(settings, tmp_path):
    """Exports of more than 2 rows go to the worker; files go to a folder of the test's own."""
    settings.PORTAL_EXPORT_INLINE_MAX_ROWS = 2
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {"BACKEND": FILE_SYSTEM, "OPTIONS": {"location": tmp_path / "exports"}},
    }


@pytest.fixture
def devices(cast):
    """Three devices of agency A (two SIM PKI), two of agency B."""
    return {
        "a1": f.DeviceFactory(agency=cast.agency_a, serial="VT00000A1"),
        "a2": f.DeviceFactory(agency=cast.agency_a, serial="VT00000A2"),
        "a3": f.DeviceFactory(
            agency=cast.agency_a, kind="sim_pki", serial="8984000000000000003",
            iccid="8984000000000000003", phone="0912000003", carrier="viettel",
        ),
        "b1": f.DeviceFactory(agency=cast.agency_b, serial="VT00000B1"),
        "b2": f.DeviceFactory(agency=cast.agency_b, serial="VT00000B2"),
    }  # fmt: skip


def _ask(client, user, url=DEVICES, **params) -> ExportJob:
    sign_in(client, user)
    response = client.get(url, {**params, "xuat": "xlsx"})
    job = ExportJob.objects.latest("pk")
    assert response.status_code == 302
    assert response.url == reverse("portal:export_job", args=[job.pk])
    return job


def _download(client, job):
    return client.get(reverse("portal:export_download", args=[job.pk]))


def _serials(response) -> list:
    """The 'Số hiệu' column of a downloaded device export."""
    body = b"".join(response.streaming_content)
    lines = list(load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))
    start = next(i for i, line in enumerate(lines) if line[0] == "STT")
    index = lines[start].index("Số hiệu")
    return sorted(line[index] for line in lines[start + 1 :])


# --- the click ---------------------------------------------------------------------------------
def test_a_large_export_is_saved_as_a_job_and_nothing_is_built_in_the_request(
    cast, client, devices
):
    job = _ask(client, cast.clerk_a, status="in_ca_stock")
    assert (job.owner, job.status, job.path, job.attempt) == (cast.clerk_a, S.QUEUED, DEVICES, 0)
    assert sorted(job.query.split("&")) == ["status=in_ca_stock", "xuat=xlsx"]
    assert job.title == "Thiết bị lưu khóa bí mật" and job.language == "vi"
    assert not job_files()


def job_dir():
    from django.conf import settings

    return settings.STORAGES["exports"]["OPTIONS"]["location"]


def job_files() -> list:
    """The files kept in the exports' storage (its folder is made by the first one)."""
    return list(job_dir().iterdir()) if job_dir().exists() else []


def test_asking_for_a_job_is_audited(cast, client, devices):
    job = _ask(client, cast.clerk_a)
    event = AuditEvent.objects.get(action="export_job.create")
    assert (event.actor, event.object_id) == (cast.clerk_a, str(job.pk))
    assert event.after == {"title": job.title, "path": DEVICES, "query": "xuat=xlsx"}


def test_a_small_export_is_still_written_in_the_request(cast, client, devices, settings):
    settings.PORTAL_EXPORT_INLINE_MAX_ROWS = 3
    sign_in(client, cast.clerk_a)
    response = client.get(DEVICES, {"xuat": "xlsx"})
    assert response.status_code == 200
    assert _serials(response) == ["8984000000000000003", "VT00000A1", "VT00000A2"]
    assert not ExportJob.objects.exists()


# --- the worker --------------------------------------------------------------------------------
def test_the_worker_builds_the_list_as_its_owner_sees_it(cast, client, devices):
    job = _ask(client, cast.clerk_a)
    assert export_job_build_task(job.pk) == "ready"
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.rows_total, job.error) == (S.READY, 3, 3, "")
    assert job.file_name == f"thiet-bi-{timezone.localdate():%Y%m%d}.xlsx"
    assert (job_dir() / job.stored_name).stat().st_size == job.size > 0
    response = _download(client, job)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert job.file_name in response["Content-Disposition"]
    assert _serials(response) == ["8984000000000000003", "VT00000A1", "VT00000A2"]


def test_the_worker_keeps_the_filters_of_the_click(cast, client, devices):
    job = _ask(client, cast.ca_operator, kind="usb_token")
    export_job_build_task(job.pk)
    assert _serials(_download(client, job)) == [
        "VT00000A1", "VT00000A2", "VT00000B1", "VT00000B2",
    ]  # fmt: skip


def test_the_scope_is_evaluated_when_the_file_is_built(cast, client, devices):
    job = _ask(client, cast.clerk_a)
    f.DeviceFactory(agency=cast.agency_a, serial="VT00000A4")  # registered after the click
    f.DeviceFactory(agency=cast.agency_c, serial="VT00000C1")  # out of the clerk's scope
    export_job_build_task(job.pk)
    assert _serials(_download(client, job)) == [
        "8984000000000000003", "VT00000A1", "VT00000A2", "VT00000A4",
    ]  # fmt: skip


def test_a_right_lost_since_the_click_fails_the_job_with_a_vietnamese_reason(cast, client):
    for n in range(3):
        f.DeviceFactory(agency=cast.agency_a, serial=f"VT0000R{n}", status="handed_to_subscriber")
        obligation_open(cast, f"VT0000R{n}")
    job = _ask(client, cast.clerk_a, url=RETURNS)
    Membership.objects.filter(user=cast.clerk_a).delete()
    assert export_job_build_task(job.pk) == "failed"
    job.refresh_from_db()
    assert job.error == "Bạn không còn quyền xem danh sách này nên tệp không được tạo."
    assert job.stored_name == "" and not job_files()
    page = client.get(reverse("portal:export_job", args=[job.pk])).content.decode()
    assert "Không tạo được tệp Excel." in page and job.error in page
    assert _download(client, job).status_code == 404


def obligation_open(cast, serial):
    from devices.models import Device
    from devices.services import device_return_obligation_open

    device_return_obligation_open(
        device=Device.objects.get(serial=serial), reason="revoked",
        notified_on=timezone.localdate(), by=cast.ca_operator, certificate_serial="0054AB",
    )  # fmt: skip


def test_an_error_while_building_fails_the_job_and_leaves_no_file(
    cast, client, devices, monkeypatch
):
    job = _ask(client, cast.clerk_a)

    def broken(value):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("devices.exports.day", broken)
    assert export_job_build_task(job.pk) == "failed"
    job.refresh_from_db()
    assert job.error == "Lỗi hệ thống khi tạo tệp. Hãy thử xuất lại."
    assert not job_files()


def test_a_task_delivered_twice_builds_once(cast, client, devices):
    job = _ask(client, cast.clerk_a)
    assert export_job_build_task(job.pk) == "ready"
    assert export_job_build_task(job.pk) == "skipped"
    job.refresh_from_db()
    assert (job.attempt, len(job_files())) == (1, 1)


def test_the_former_worker_of_a_requeued_job_records_nothing(cast, client, devices, monkeypatch):
    from portal.export_jobs import service

    job = _ask(client, cast.clerk_a)
    real_write = service.Build.write

    def write_while_thought_dead(build, export):
        # The sweep re-queues the job and another worker claims it before this one writes.
        ExportJob.objects.filter(pk=job.pk).update(touched_at=timezone.now() - timedelta(hours=1))
        assert export_jobs_sweep()["requeued"] == 1
        assert service._claim(job.pk).attempt == 2
        return real_write(build, export)

    monkeypatch.setattr(service.Build, "write", write_while_thought_dead)
    assert export_job_build_task(job.pk) == "lost"
    job.refresh_from_db()
    assert (job.status, job.attempt, job.stored_name) == (S.BUILDING, 2, "")
    assert not job_files(), "the lost build's file is deleted"


# --- the sweep ---------------------------------------------------------------------------------
def test_the_sweep_queues_a_lost_job_again_once(cast, client, devices, settings):
    settings.PORTAL_EXPORT_STALL_SECONDS = 120
    job = _ask(client, cast.clerk_a)
    ExportJob.objects.filter(pk=job.pk).update(
        status=S.BUILDING, attempt=1, touched_at=timezone.now() - timedelta(seconds=121)
    )
    assert export_jobs_sweep()["requeued"] == 1
    assert export_jobs_sweep()["requeued"] == 0, "claimed: not queued twice"
    assert ExportJob.objects.get(pk=job.pk).status == S.QUEUED
    assert export_job_build_task(job.pk) == "ready"
    assert ExportJob.objects.get(pk=job.pk).attempt == 2


def test_the_sweep_leaves_a_job_within_its_window_alone(cast, client, devices, settings):
    settings.PORTAL_EXPORT_STALL_SECONDS = 120
    job = _ask(client, cast.clerk_a)
    ExportJob.objects.filter(pk=job.pk).update(touched_at=timezone.now() - timedelta(seconds=60))
    assert export_jobs_sweep() == {"expired": 0, "given_up": 0, "requeued": 0, "orphans": 0}


def test_a_job_claimed_too_often_fails_with_a_message(cast, client, devices):
    job = _ask(client, cast.clerk_a)
    ExportJob.objects.filter(pk=job.pk).update(
        status=S.BUILDING, attempt=MAX_ATTEMPTS, touched_at=timezone.now() - timedelta(hours=1)
    )
    assert export_jobs_sweep()["given_up"] == 1
    job.refresh_from_db()
    assert job.status == S.FAILED and "3 lần thử" in job.error
    assert "3 lần thử" in client.get(reverse("portal:export_job", args=[job.pk])).content.decode()


def test_a_file_older_than_its_keep_time_is_deleted_and_the_job_expires(cast, client, devices):
    job = _ask(client, cast.clerk_a)
    export_job_build_task(job.pk)
    job.refresh_from_db()
    stored = job_dir() / job.stored_name
    ExportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=25))
    assert export_jobs_sweep()["expired"] == 1
    job.refresh_from_db()
    assert (job.status, job.stored_name, stored.exists()) == (S.EXPIRED, "", False)
    assert _download(client, job).status_code == 404
    page = client.get(reverse("portal:export_job", args=[job.pk])).content.decode()
    assert "Tệp này đã hết hạn" in page


def test_the_sweep_deletes_files_no_job_holds_and_keeps_the_others(cast, client, devices):
    job = _ask(client, cast.clerk_a)
    export_job_build_task(job.pk)
    job.refresh_from_db()
    orphan = job_dir() / "999-1-abcdef.xlsx"  # kept by a former worker of a re-queued job
    fresh = job_dir() / "997-1-abcdef.xlsx"  # kept just now, its job's update not yet made
    long_ago = time.time() - 3600
    for path in (orphan, fresh):
        path.write_bytes(b"PK")
    for path in (orphan, job_dir() / job.stored_name):
        os.utime(path, (long_ago, long_ago))
    assert export_jobs_sweep()["orphans"] == 1
    assert sorted(p.name for p in job_dir().iterdir()) == sorted([job.stored_name, fresh.name])


def test_beat_sweeps_export_jobs_every_processing_sweep():
    from config.beat import beat_schedule

    entry = beat_schedule(audit_checkpoint_minutes=60)["portal-exports-sweep"]
    assert entry == {"task": "portal.tasks.export_jobs_sweep_task", "schedule": 60}


# --- the pages: a job is its owner's -----------------------------------------------------------
@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("clerk_a", 200),
        ("other_clerk_a", 404),
        ("clerk_b", 404),
        ("officer_1", 404),
        ("ca_operator", 404),
        ("admin", 404),
        ("anonymous", "login"),
    ],
)
def test_the_job_page_and_its_file_are_the_owners_alone(cast, client, devices, persona, expected):
    from tests.helpers import LOGIN

    job = _ask(client, cast.clerk_a)
    export_job_build_task(job.pk)
    client.logout()
    if persona == "other_clerk_a":
        user = f.UserFactory(username="clerk_a2")
        f.MembershipFactory(user=user, role=Role.AGENCY_CLERK, organization=cast.agency_a)
        sign_in(client, user)
    elif persona != "anonymous":
        sign_in(client, getattr(cast, persona))
    expected = LOGIN if expected == "login" else expected
    assert answer(client.get(reverse("portal:export_job", args=[job.pk]))) == expected
    assert answer(_download(client, job)) == expected


def test_the_file_cannot_be_downloaded_before_it_is_ready(cast, client, devices):
    job = _ask(client, cast.clerk_a)
    assert _download(client, job).status_code == 404


def test_the_page_polls_while_the_file_is_built_then_offers_the_download(cast, client, devices):
    job = _ask(client, cast.clerk_a)
    ExportJob.objects.filter(pk=job.pk).update(status=S.BUILDING, rows_total=3, rows_done=2)
    url = reverse("portal:export_job", args=[job.pk])
    page = client.get(url).content.decode()
    assert 'hx-trigger="every 1s"' in page and "Đã ghi 2 / khoảng 3 dòng" in page
    fragment = client.get(url, **HTMX)
    assert fragment.status_code == 200 and "Đang tạo tệp Excel…" in fragment.content.decode()
    ExportJob.objects.filter(pk=job.pk).update(status=S.QUEUED, rows_total=0, rows_done=0)
    export_job_build_task(job.pk)
    assert client.get(url, **HTMX)["HX-Refresh"] == "true"
    page = client.get(url).content.decode()
    assert "Tệp Excel đã sẵn sàng." in page and "every 1s" not in page
    assert reverse("portal:export_download", args=[job.pk]) in page
    assert f'href="{DEVICES}"' in page, "back to the list"


def test_the_job_page_stays_within_its_query_budget(cast, client, devices):
    job = _ask(client, cast.clerk_a)
    export_job_build_task(job.pk)
    assert count_queries(client, reverse("portal:export_job", args=[job.pk])) <= BUDGET
