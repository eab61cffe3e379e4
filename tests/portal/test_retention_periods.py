"""The ground floor's retention periods at their boundaries (docs/retention.md §2, §5): an import
job 30 days after it ended, an export job 7 days, a ready export while its owner may still
download it (PORTAL_EXPORT_KEEP_HOURS), a session at its expiry; one day on each side of each,
and the boundary itself."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile

from portal.export_jobs.models import ExportJob
from portal.export_jobs.service import export_storage
from portal.models import ImportJob
from portal.retention import (
    export_jobs_retention_sweep,
    import_jobs_retention_sweep,
    portal_retention_sweep,
    sessions_sweep,
)

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
S = ExportJob.Status


@pytest.fixture
def owner():
    return get_user_model().objects.create(username="nguoi-xuat")


def _export(
    owner, *, status, created: timedelta, ended: timedelta | None, stored: str | None = None
) -> ExportJob:
    if stored is None:
        stored = f"xuat-{ExportJob.objects.count()}.xlsx" if status == S.READY else ""
    job = ExportJob.objects.create(
        owner=owner, title="Thiết bị", path="/thiet-bi/", status=status, stored_name=stored
    )
    ExportJob.objects.filter(pk=job.pk).update(
        created_at=NOW - created, finished_at=None if ended is None else NOW - ended
    )
    return job


def _import(owner, *, status, created: timedelta, ended: timedelta | None) -> ImportJob:
    job = ImportJob.objects.create(
        owner=owner, kind="letter_rows", file_name="danh-sach.xlsx", content=b"PK", status=status
    )
    ImportJob.objects.filter(pk=job.pk).update(
        created_at=NOW - created, finished_at=None if ended is None else NOW - ended
    )
    return job


DAY, SECOND = timedelta(days=1), timedelta(seconds=1)


def test_an_export_is_kept_up_to_7_days_after_it_ended_and_deleted_after(owner, settings):
    settings.PORTAL_RETENTION_EXPORT_DAYS = 7
    jobs = {
        age: _export(owner, status=S.FAILED, created=age + DAY, ended=age)
        for age in (6 * DAY, 7 * DAY, 7 * DAY + SECOND, 8 * DAY)
    }

    assert export_jobs_retention_sweep(now=NOW) == 2

    assert set(ExportJob.objects.values_list("pk", flat=True)) == {
        jobs[6 * DAY].pk,
        jobs[7 * DAY].pk,
    }


def test_an_export_that_never_finished_counts_from_when_it_was_asked_for(owner, settings):
    settings.PORTAL_RETENTION_EXPORT_DAYS = 7
    expired = _export(owner, status=S.EXPIRED, created=8 * DAY, ended=None)
    recent = _export(owner, status=S.EXPIRED, created=6 * DAY, ended=None)

    assert export_jobs_retention_sweep(now=NOW) == 1

    assert list(ExportJob.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not ExportJob.objects.filter(pk=expired.pk).exists()


def test_a_ready_export_is_kept_while_downloadable_and_a_failed_one_of_its_age_is_not(
    owner, settings
):
    # Files kept ten days, past the jobs' own 7: only a ready job is still downloadable.
    settings.PORTAL_RETENTION_EXPORT_DAYS = 7
    settings.PORTAL_EXPORT_KEEP_HOURS = 24 * 10
    ready = {
        age: _export(owner, status=S.READY, created=age, ended=8 * DAY)
        for age in (9 * DAY, 10 * DAY, 10 * DAY + SECOND, 11 * DAY)
    }
    failed = _export(owner, status=S.FAILED, created=9 * DAY, ended=8 * DAY)
    building = _export(owner, status=S.BUILDING, created=9 * DAY, ended=8 * DAY)
    queued = _export(owner, status=S.QUEUED, created=9 * DAY, ended=8 * DAY)

    assert export_jobs_retention_sweep(now=NOW) == 3

    assert set(ExportJob.objects.values_list("pk", flat=True)) == {
        ready[9 * DAY].pk,
        ready[10 * DAY].pk,
        building.pk,
        queued.pk,
    }
    assert not ExportJob.objects.filter(pk=failed.pk).exists()


def test_a_finished_import_is_kept_up_to_30_days_after_it_ended_and_deleted_after(owner, settings):
    settings.PORTAL_RETENTION_IMPORT_DAYS = 30
    statuses = (ImportJob.Status.CONFIRMED, ImportJob.Status.DISCARDED, ImportJob.Status.FAILED)
    jobs = {
        (age, status): _import(owner, status=status, created=age + DAY, ended=age)
        for age in (29 * DAY, 30 * DAY, 30 * DAY + SECOND, 31 * DAY)
        for status in statuses
    }
    parsing = _import(owner, status=ImportJob.Status.PARSING, created=31 * DAY, ended=None)

    assert import_jobs_retention_sweep(now=NOW) == 6

    kept = {job.pk for (age, _), job in jobs.items() if age <= 30 * DAY} | {parsing.pk}
    assert set(ImportJob.objects.values_list("pk", flat=True)) == kept


def test_an_import_that_never_finished_counts_from_when_it_was_uploaded(owner, settings):
    settings.PORTAL_RETENTION_IMPORT_DAYS = 30
    failed_old = _import(owner, status=ImportJob.Status.FAILED, created=31 * DAY, ended=None)
    failed_new = _import(owner, status=ImportJob.Status.FAILED, created=29 * DAY, ended=None)

    assert import_jobs_retention_sweep(now=NOW) == 1

    assert list(ImportJob.objects.values_list("pk", flat=True)) == [failed_new.pk]
    assert not ImportJob.objects.filter(pk=failed_old.pk).exists()


def test_a_session_is_deleted_once_its_expiry_has_passed(settings):
    for name, expires in (("a", NOW - DAY), ("b", NOW - SECOND), ("c", NOW), ("d", NOW + DAY)):
        Session.objects.create(session_key=name * 32, session_data="x", expire_date=expires)

    assert sessions_sweep(now=NOW) == 2

    assert sorted(Session.objects.values_list("session_key", flat=True)) == ["c" * 32, "d" * 32]


def test_the_ground_floor_sweep_uses_the_moment_it_is_given(owner, settings):
    settings.PORTAL_RETENTION_EXPORT_DAYS = 7
    settings.PORTAL_RETENTION_IMPORT_DAYS = 30
    _export(owner, status=S.FAILED, created=9 * DAY, ended=8 * DAY)
    _import(owner, status=ImportJob.Status.CONFIRMED, created=32 * DAY, ended=31 * DAY)
    Session.objects.create(session_key="e" * 32, session_data="x", expire_date=NOW - SECOND)

    assert portal_retention_sweep(now=NOW - 2 * DAY) == {
        "sessions": 0,
        "import_jobs": 0,
        "export_jobs": 0,
    }
    assert portal_retention_sweep(now=NOW) == {"sessions": 1, "import_jobs": 1, "export_jobs": 1}


def test_an_export_without_a_file_is_deleted_without_asking_the_store_for_one(
    owner, settings, tmp_path, caplog, django_capture_on_commit_callbacks
):
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    settings.PORTAL_RETENTION_EXPORT_DAYS = 7
    name = export_storage().save("cu.xlsx", ContentFile(b"PK"))
    _export(owner, status=S.EXPIRED, created=9 * DAY, ended=8 * DAY, stored=name)
    _export(owner, status=S.FAILED, created=9 * DAY, ended=8 * DAY)

    with caplog.at_level("ERROR"), django_capture_on_commit_callbacks(execute=True):
        assert export_jobs_retention_sweep(now=NOW) == 2

    assert not ExportJob.objects.exists()
    assert not export_storage().exists(name)
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []
