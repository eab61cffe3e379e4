"""The ground floor's retention sweep (docs/retention.md): expired sessions, import and export
jobs past their period deleted (export files with their rows), fresh ones kept; one audit event
per batch, the chain still verifying; a second run deletes nothing more."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from portal.audit import audit_verify
from portal.export_jobs.models import ExportJob
from portal.export_jobs.service import export_storage
from portal.models import AuditEvent, ImportJob
from portal.retention import portal_retention_sweep

pytestmark = pytest.mark.django_db
FILE_SYSTEM = "django.core.files.storage.FileSystemStorage"


@pytest.fixture(autouse=True)
def _export_folder(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {"BACKEND": FILE_SYSTEM, "OPTIONS": {"location": tmp_path / "exports"}},
    }


def _export(owner, *, days_ago: float, time_machine, status=ExportJob.Status.READY):
    time_machine.move_to(timezone.now() - timedelta(days=days_ago))
    stored = ""
    if status == ExportJob.Status.READY:
        stored = export_storage().save(f"job-{days_ago}.xlsx", ContentFile(b"PK personal rows"))
    job = ExportJob.objects.create(
        owner=owner, title="Thiết bị", path="/thiet-bi/", status=status, stored_name=stored
    )
    time_machine.move_to(timezone.now() + timedelta(days=days_ago))
    return job


def _import(owner, *, days_ago: float, status):
    job = ImportJob.objects.create(
        owner=owner, kind="letter_rows", file_name="danh-sach.xlsx", content=b"PK", status=status
    )
    ended = timezone.now() - timedelta(days=days_ago)
    ImportJob.objects.filter(pk=job.pk).update(created_at=ended, finished_at=ended)
    return job


def _session(key: str, *, expires_in: timedelta) -> Session:
    return Session.objects.create(
        session_key=key, session_data="x", expire_date=timezone.now() + expires_in
    )


def test_an_export_past_its_period_is_deleted_with_its_file_and_a_fresh_one_kept(
    cast, time_machine, django_capture_on_commit_callbacks
):
    old = _export(cast.clerk_a, days_ago=8, time_machine=time_machine)
    fresh = _export(cast.clerk_a, days_ago=1, time_machine=time_machine)
    building = _export(
        cast.clerk_a, days_ago=8, time_machine=time_machine, status=ExportJob.Status.BUILDING
    )
    storage = export_storage()
    assert storage.exists(old.stored_name) and storage.exists(fresh.stored_name)

    with django_capture_on_commit_callbacks(execute=True):
        assert portal_retention_sweep()["export_jobs"] == 1

    assert set(ExportJob.objects.values_list("pk", flat=True)) == {fresh.pk, building.pk}
    assert not storage.exists(old.stored_name)
    assert storage.exists(fresh.stored_name)


def test_an_export_still_downloadable_or_finished_within_the_period_is_kept(
    cast, time_machine, settings
):
    # Files kept ten days, longer than the jobs' own period: the job stays while downloadable.
    settings.PORTAL_EXPORT_KEEP_HOURS = 24 * 10
    downloadable = _export(cast.clerk_a, days_ago=8, time_machine=time_machine)
    retried = _export(
        cast.clerk_a, days_ago=10, time_machine=time_machine, status=ExportJob.Status.FAILED
    )
    ExportJob.objects.filter(pk=retried.pk).update(finished_at=timezone.now() - timedelta(days=2))
    done_long_ago = _export(
        cast.clerk_a, days_ago=10, time_machine=time_machine, status=ExportJob.Status.FAILED
    )
    ExportJob.objects.filter(pk=done_long_ago.pk).update(
        finished_at=timezone.now() - timedelta(days=9)
    )

    assert portal_retention_sweep()["export_jobs"] == 1

    assert set(ExportJob.objects.values_list("pk", flat=True)) == {downloadable.pk, retried.pk}
    assert export_storage().exists(downloadable.stored_name)


def test_finished_imports_past_their_period_are_deleted_and_running_or_fresh_ones_kept(cast):
    S = ImportJob.Status
    old = [
        _import(cast.clerk_a, days_ago=31, status=s) for s in (S.CONFIRMED, S.FAILED, S.DISCARDED)
    ]
    fresh = _import(cast.clerk_a, days_ago=29, status=S.CONFIRMED)
    running = _import(cast.clerk_a, days_ago=31, status=S.PARSING)

    assert portal_retention_sweep()["import_jobs"] == 3

    assert not ImportJob.objects.filter(pk__in=[job.pk for job in old]).exists()
    assert set(ImportJob.objects.values_list("pk", flat=True)) == {fresh.pk, running.pk}


def test_expired_sessions_are_deleted_without_naming_their_keys(cast):
    _session("a" * 32, expires_in=-timedelta(minutes=1))
    live = _session("b" * 32, expires_in=timedelta(minutes=20))

    assert portal_retention_sweep()["sessions"] == 1

    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
    event = AuditEvent.objects.get(action="retention.delete", after__model="sessions.session")
    assert event.actor_id is None and event.after["count"] == 1
    assert "ids" not in event.after and "a" * 32 not in str(event.after)


def test_each_batch_is_one_audit_event_saying_what_how_many_and_why(cast, settings):
    settings.PORTAL_RETENTION_BATCH = 2
    jobs = [_import(cast.clerk_a, days_ago=40, status=ImportJob.Status.CONFIRMED) for _ in range(5)]

    assert portal_retention_sweep()["import_jobs"] == 5

    events = list(AuditEvent.objects.filter(after__model="portal.importjob").order_by("seq"))
    assert [e.after["count"] for e in events] == [2, 2, 1]
    assert sorted(pk for e in events for pk in e.after["ids"]) == sorted(j.pk for j in jobs)
    first = events[0]
    assert (first.action, first.actor_id, first.reason) == (
        "retention.delete",
        None,
        "PORTAL_RETENTION_IMPORT_DAYS",
    )
    assert first.after["period"] == "30 days" and "91/2025/QH15" in first.after["law"]
    assert audit_verify().ok
    call_command("audit_verify")


def test_a_second_sweep_deletes_nothing_more_and_records_nothing(cast, time_machine):
    _export(cast.clerk_a, days_ago=8, time_machine=time_machine)
    _import(cast.clerk_a, days_ago=31, status=ImportJob.Status.CONFIRMED)
    _session("c" * 32, expires_in=-timedelta(hours=1))
    portal_retention_sweep()
    events = AuditEvent.objects.count()

    assert portal_retention_sweep() == {"sessions": 0, "import_jobs": 0, "export_jobs": 0}
    assert AuditEvent.objects.count() == events


def test_it_keeps_an_export_7_days_old_and_deletes_one_8_days_old(cast, time_machine, settings):
    assert settings.PORTAL_RETENTION_EXPORT_DAYS == 7
    now = timezone.now()
    jobs = {
        days: _export(
            cast.clerk_a, days_ago=days, time_machine=time_machine, status=ExportJob.Status.FAILED
        )
        for days in (7, 8)
    }
    for days, job in jobs.items():
        ExportJob.objects.filter(pk=job.pk).update(finished_at=now - timedelta(days=days))

    assert portal_retention_sweep(now=now)["export_jobs"] == 1

    assert list(ExportJob.objects.values_list("pk", flat=True)) == [jobs[7].pk]


def test_it_keeps_a_finished_import_30_days_old_and_deletes_one_31_days_old(cast, settings):
    assert settings.PORTAL_RETENTION_IMPORT_DAYS == 30
    now = timezone.now()
    jobs = {
        days: _import(cast.clerk_a, days_ago=0, status=ImportJob.Status.CONFIRMED)
        for days in (30, 31)
    }
    for days, job in jobs.items():
        ImportJob.objects.filter(pk=job.pk).update(finished_at=now - timedelta(days=days))

    assert portal_retention_sweep(now=now)["import_jobs"] == 1

    assert list(ImportJob.objects.values_list("pk", flat=True)) == [jobs[30].pk]


def test_it_keeps_a_session_expiring_now_and_deletes_one_expired_a_second_ago(cast):
    now = timezone.now()
    live = Session.objects.create(session_key="c" * 32, session_data="x", expire_date=now)
    Session.objects.create(
        session_key="d" * 32, session_data="x", expire_date=now - timedelta(seconds=1)
    )

    assert portal_retention_sweep(now=now)["sessions"] == 1

    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
