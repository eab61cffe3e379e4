"""The retention machinery itself (portal/retention.py, docs/retention.md §5), on sessions and
export jobs without the cast: one UPDATE giving each row its own values and all rows the common
ones, the batch's keys as `IN (…)` off PostgreSQL, and what a batch's audit event says."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.exceptions import EmptyResultSet
from django.db import connection

from agencies.models import Organization
from portal.export_jobs.models import ExportJob
from portal.models import AuditEvent
from portal.retention import (
    DELETE,
    IMPORTS,
    SESSIONS,
    InKeys,
    Period,
    retention_batches,
    retention_delete,
    rows_update,
    sessions_sweep,
    years_before,
)
from tests.factories import AgencyFactory, ProvinceFactory

pytestmark = pytest.mark.django_db
LATER = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)


def _sessions(*names: str) -> list[str]:
    keys = [name.ljust(32, "0") for name in names]
    for key in keys:
        Session.objects.create(
            session_key=key, session_data="x", expire_date=datetime(2030, 1, 1, tzinfo=UTC)
        )
    return keys


def _sessions_now() -> dict[str, tuple[str, datetime]]:
    return {s.session_key: (s.session_data, s.expire_date) for s in Session.objects.all()}


def test_rows_update_gives_each_row_its_own_value_and_every_row_the_common_one():
    a, b, c = _sessions("a", "b", "c")

    assert rows_update(Session, [b, a], {"session_data": ["bee", "ay"], "expire_date": LATER}) == 2

    assert _sessions_now() == {
        a: ("ay", LATER),
        b: ("bee", LATER),
        c: ("x", datetime(2030, 1, 1, tzinfo=UTC)),
    }


def test_rows_update_writes_two_per_row_columns_and_a_common_one_in_the_key_order():
    owner = get_user_model().objects.create(username="chu-so-huu")
    jobs = [
        ExportJob.objects.create(owner=owner, title=f"Danh sách {i}", path=f"/{i}/")
        for i in range(3)
    ]
    keys = [jobs[2].pk, jobs[0].pk]

    changed = rows_update(
        ExportJob,
        keys,
        {"title": ["Hai", "Không"], "path": ["/hai/", "/khong/"], "error": "đã giảm thiểu"},
    )

    assert changed == 2
    assert sorted(ExportJob.objects.values_list("pk", "title", "path", "error")) == [
        (jobs[0].pk, "Không", "/khong/", "đã giảm thiểu"),
        (jobs[1].pk, "Danh sách 1", "/1/", ""),
        (jobs[2].pk, "Hai", "/hai/", "đã giảm thiểu"),
    ]


def test_rows_update_with_only_common_values_updates_exactly_the_rows_named():
    a, b, c = _sessions("a", "b", "c")

    assert rows_update(Session, [a, c], {"session_data": "same", "expire_date": LATER}) == 2

    assert _sessions_now() == {
        a: ("same", LATER),
        b: ("x", datetime(2030, 1, 1, tzinfo=UTC)),
        c: ("same", LATER),
    }


def test_rows_update_of_no_keys_writes_nothing_and_says_none():
    (a,) = _sessions("a")

    assert rows_update(Session, [], {"session_data": "same"}) == 0
    assert rows_update(Session, [], {"session_data": []}) == 0

    assert _sessions_now() == {a: ("x", datetime(2030, 1, 1, tzinfo=UTC))}


def _in_keys_sql(keys: list[str]) -> tuple[str, tuple]:
    """`InKeys` as other databases get it (`as_sql`, `IN (…)`), compiled here on PostgreSQL."""
    query = Session.objects.all().query
    expression = InKeys("pk", keys).resolve_expression(query)
    return expression.as_sql(query.get_compiler(connection=connection), connection)


def test_in_keys_off_postgresql_is_one_placeholder_per_key_and_finds_those_rows():
    a, b, c = _sessions("a", "b", "c")

    sql, params = _in_keys_sql([c, a])

    assert sql == '"django_session"."session_key" IN (%s, %s)'
    assert params == (c, a)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT session_key FROM django_session WHERE {sql}", params)  # noqa: S608
        assert sorted(row[0] for row in cursor.fetchall()) == [a, c]


def test_in_keys_of_no_keys_is_an_empty_result_on_every_database():
    _sessions("a")

    with pytest.raises(EmptyResultSet):
        _in_keys_sql([])
    assert list(Session.objects.filter(InKeys("pk", []))) == []


def test_a_period_sums_itself_up_with_its_setting_length_cutoff_and_law(settings):
    settings.PORTAL_RETENTION_IMPORT_DAYS = 30
    now = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)

    assert IMPORTS.summary(now) == {
        "setting": "PORTAL_RETENTION_IMPORT_DAYS",
        "period": "30 days",
        "cutoff": "2026-03-01T12:00:00+00:00",
        "law": "Luật Bảo vệ dữ liệu cá nhân 91/2025/QH15",
    }
    archive = Period("PORTAL_RETENTION_IMPORT_DAYS", "years", law="Luật Lưu trữ 33/2024/QH15")
    assert archive.summary(now)["cutoff"] == "1996-03-31T12:00:00+00:00"


def test_the_sessions_batch_event_names_its_setting_and_cutoff_but_no_key(settings):
    settings.PORTAL_SESSION_IDLE_MINUTES = 30
    now = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    Session.objects.create(
        session_key="e" * 32, session_data="x", expire_date=now - timedelta(seconds=1)
    )
    Session.objects.create(session_key="f" * 32, session_data="x", expire_date=now)

    assert sessions_sweep(now=now) == 1

    assert list(Session.objects.values_list("session_key", flat=True)) == ["f" * 32]
    event = AuditEvent.objects.get(action="retention.delete", after__model="sessions.session")
    assert event.reason == "PORTAL_SESSION_IDLE_MINUTES"
    assert event.after == {
        "model": "sessions.session",
        "count": 1,
        "setting": "PORTAL_SESSION_IDLE_MINUTES",
        "period": "expiry",
        "cutoff": "2026-03-31T12:00:00+00:00",
        "law": "Luật Bảo vệ dữ liệu cá nhân 91/2025/QH15",
    }


def _sweep(*, scan_first: bool, apply, batch_size: int = 2, what: str = "") -> int:
    return retention_batches(
        queryset=Session.objects.filter(session_data="x"),
        action=DELETE,
        period=SESSIONS,
        now=datetime(2026, 3, 31, 12, 0, tzinfo=UTC),
        apply=apply,
        batch_size=batch_size,
        what=what,
        scan_first=scan_first,
    )


def _events() -> list[tuple[str, int, list]]:
    return [
        (e.after["model"], e.after["count"], e.after.get("ids"))
        for e in AuditEvent.objects.filter(action=DELETE).order_by("seq")
    ]


@pytest.mark.parametrize("scan_first", [False, True])
def test_batches_take_every_matching_row_in_key_order_one_event_a_batch(scan_first):
    keys = _sessions("a", "b", "c", "d", "e")
    Session.objects.filter(session_key=keys[2]).update(session_data="kept by its condition")

    def delete(batch, ids):
        batch.delete()
        return ids

    assert _sweep(scan_first=scan_first, apply=delete, what="phiên") == 4

    assert list(Session.objects.values_list("session_key", flat=True)) == [keys[2]]
    assert _events() == [("phiên", 2, [keys[0], keys[1]]), ("phiên", 2, [keys[3], keys[4]])]


@pytest.mark.parametrize("scan_first", [False, True])
def test_a_batch_whose_rows_are_all_kept_records_nothing_and_the_run_goes_on(scan_first):
    keys = _sessions("a", "b", "c", "d", "e")

    def keep_the_first_two(batch, ids):
        kept = [key for key in ids if key not in keys[:2]]
        batch.filter(pk__in=kept).delete()
        return kept

    assert _sweep(scan_first=scan_first, apply=keep_the_first_two) == 3

    assert list(Session.objects.values_list("session_key", flat=True)) == keys[:2]
    label = "sessions.session"
    assert _events() == [(label, 2, [keys[2], keys[3]]), (label, 1, [keys[4]])]


def test_a_scanned_row_gone_before_its_batch_is_skipped_and_the_run_goes_on():
    keys = _sessions("a", "b", "c")

    def delete_and_take_the_next_too(batch, ids):
        batch.delete()
        if ids == [keys[0]]:  # the next row goes meanwhile (a clerk, another sweep)
            Session.objects.filter(session_key=keys[1]).delete()
        return ids

    assert _sweep(scan_first=True, apply=delete_and_take_the_next_too, batch_size=1) == 2

    assert not Session.objects.exists()
    label = "sessions.session"
    assert _events() == [(label, 1, [keys[0]]), (label, 1, [keys[2]])]


def test_a_scanned_row_that_no_longer_matches_when_locked_is_left_alone():
    keys = _sessions("a", "b", "c")

    def delete_and_change_the_next(batch, ids):
        batch.delete()
        if ids == [keys[0]]:  # edited meanwhile: no longer matches the sweep's conditions
            Session.objects.filter(session_key=keys[1]).update(session_data="edited")
        return ids

    assert _sweep(scan_first=True, apply=delete_and_change_the_next, batch_size=1) == 2

    assert list(Session.objects.values_list("session_key", flat=True)) == [keys[1]]


def test_retention_delete_takes_the_batch_size_it_is_given_and_names_the_rows(settings):
    settings.PORTAL_RETENTION_BATCH = 1000
    keys = _sessions("a", "b", "c")

    deleted = retention_delete(
        queryset=Session.objects.all(),
        period=SESSIONS,
        now=datetime(2026, 3, 31, 12, 0, tzinfo=UTC),
        batch_size=2,
    )

    assert deleted == 3 and not Session.objects.exists()
    label = "sessions.session"
    assert _events() == [(label, 2, keys[:2]), (label, 1, keys[2:])]


def test_a_protected_row_is_kept_and_the_rows_after_it_in_its_batch_are_deleted():
    """A row another row protects (a parent organisation) fails alone: the batch falls back
    to one row at a time and deletes the others, those after it too."""
    province = ProvinceFactory()  # the first key of the batch, a parent: protected
    AgencyFactory(parent=province)
    keys = [province.pk, ProvinceFactory().pk, ProvinceFactory().pk]

    deleted = retention_delete(
        queryset=Organization.objects.filter(pk__in=keys),
        period=SESSIONS,
        now=datetime(2026, 3, 31, 12, 0, tzinfo=UTC),
    )

    assert deleted == 2
    assert set(Organization.objects.filter(pk__in=keys).values_list("pk", flat=True)) == {
        province.pk
    }
    assert _events() == [("agencies.organization", 2, keys[1:])]


class _Storage:
    """A storage whose deletion of one name fails, as a file store out of reach would."""

    def __init__(self, failing: str):
        self.failing, self.deleted = failing, []

    def delete(self, name: str) -> None:
        if name == self.failing:
            raise OSError(f"{name}: kho tệp không trả lời")
        self.deleted.append(name)


def test_a_file_whose_deletion_fails_does_not_stop_the_others_nor_the_rows(
    django_capture_on_commit_callbacks,
):
    keys = _sessions("a", "b", "c")
    storage = _Storage(failing=f"{keys[0]}.xlsx")

    with django_capture_on_commit_callbacks(execute=True):
        deleted = retention_delete(
            queryset=Session.objects.all(),
            period=SESSIONS,
            now=datetime(2026, 3, 31, 12, 0, tzinfo=UTC),
            files=lambda rows: [
                (storage, f"{key}.xlsx") for key in rows.values_list("pk", flat=True)
            ],
        )

    assert deleted == 3 and not Session.objects.exists()
    assert sorted(storage.deleted) == [f"{keys[1]}.xlsx", f"{keys[2]}.xlsx"]


def _make_the_last_due(keys):
    def apply(batch, ids):
        batch.delete()
        Session.objects.filter(session_key=keys[-1]).update(session_data="x")
        return ids

    return apply


def test_by_default_a_row_coming_due_while_the_run_goes_is_taken_by_it():
    keys = _sessions("a", "b", "c")
    Session.objects.filter(session_key=keys[2]).update(session_data="not yet")

    taken = retention_batches(
        queryset=Session.objects.filter(session_data="x"),
        action=DELETE,
        period=SESSIONS,
        now=datetime(2026, 3, 31, 12, 0, tzinfo=UTC),
        apply=_make_the_last_due(keys),
        batch_size=1,
    )

    assert taken == 3 and not Session.objects.exists()


def test_a_run_that_scans_first_leaves_a_row_coming_due_meanwhile_for_the_next():
    keys = _sessions("a", "b", "c")
    Session.objects.filter(session_key=keys[2]).update(session_data="not yet")

    assert _sweep(scan_first=True, apply=_make_the_last_due(keys), batch_size=1) == 2

    assert list(Session.objects.values_list("session_key", flat=True)) == [keys[2]]


def test_counting_years_back_from_29_february_lands_on_28_february_without_one():
    leap = datetime(2028, 2, 29, 10, 30, tzinfo=UTC)

    assert years_before(moment=leap, years=1) == datetime(2027, 2, 28, 10, 30, tzinfo=UTC)
    assert years_before(moment=leap, years=4) == datetime(2024, 2, 29, 10, 30, tzinfo=UTC)
