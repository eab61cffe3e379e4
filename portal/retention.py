"""The retention sweep (docs/retention.md): what has passed its retention period is deleted or
minimised by batches, each its own short transaction with one audit event.

The machinery is generic: an app hands it a queryset of what has passed its period (the
conditions in the queryset, evaluated in the statement that locks the batch and once more, in
a new statement, on the locked rows) and what to do with it. Rows are locked with SKIP LOCKED:
two sweeps at once, or a sweep and a clerk editing a row, never wait on each other, and a row
is handled by the one sweep that locked it; a row changed meanwhile so that it no longer
matches, or linked meanwhile to a record that keeps it, is left alone. A second run finds
nothing more to do. The ground floor's own record types (sessions, import and export
jobs) are swept here too; the apps above sweep theirs in their services.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Expression,
    F,
    ProtectedError,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from portal.audit import audit_record
from portal.export_jobs.models import ExportJob
from portal.export_jobs.service import export_storage
from portal.models import ImportJob

DELETE = "retention.delete"
DEIDENTIFY = "retention.deidentify"

# The legal sources a period names in its audit events (docs/retention.md).
PERSONAL_DATA_LAW = "Luật Bảo vệ dữ liệu cá nhân 91/2025/QH15"
ARCHIVES_LAW = "Luật Lưu trữ 33/2024/QH15"


@dataclass(frozen=True)
class Period:
    """A retention period: the setting that holds it, its unit and the law it applies."""

    setting: str
    unit: str  # "days", "years", or "expiry" (each row holds its own end)
    law: str = PERSONAL_DATA_LAW

    @property
    def length(self) -> int:
        return getattr(settings, self.setting)

    def cutoff(self, now: datetime) -> datetime:
        """What ended before this moment has passed the period."""
        if self.unit == "days":
            return now - timedelta(days=self.length)
        if self.unit == "years":
            return years_before(moment=now, years=self.length)
        return now

    @property
    def text(self) -> str:
        return "expiry" if self.unit == "expiry" else f"{self.length} {self.unit}"

    def summary(self, now: datetime) -> dict:
        return {
            "setting": self.setting,
            "period": self.text,
            "cutoff": self.cutoff(now).isoformat(),
            "law": self.law,
        }


def years_before(*, moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February, in a year without one
        return moment.replace(year=moment.year - years, day=28)


class InKeys(Expression):
    """`column IN (k1, k2, …)` for a batch's keys; on PostgreSQL `column = ANY(%s)`, the keys
    passed as one array. A thousand placeholders cost more on the client than the statement
    in the database (Django preparing each value, psycopg splitting the query at each), for
    every statement of every batch."""

    conditional = True

    def __init__(self, column: str, keys):
        super().__init__(output_field=BooleanField())
        self.column, self.keys = F(column), list(keys)

    def get_source_expressions(self):
        return [self.column]

    def set_source_expressions(self, exprs):
        (self.column,) = exprs

    def as_sql(self, compiler, connection):
        if not self.keys:
            raise EmptyResultSet
        sql, params = compiler.compile(self.column)
        return f"{sql} IN ({', '.join(['%s'] * len(self.keys))})", (*params, *self.keys)

    def as_postgresql(self, compiler, connection):
        if not self.keys:
            raise EmptyResultSet
        sql, params = compiler.compile(self.column)
        array = f"{self.column.output_field.cast_db_type(connection)}[]"
        return f"{sql} = ANY(%s::{array})", (*params, self.keys)


def retention_batches(
    *,
    queryset: QuerySet,
    action: str,
    period: Period,
    now: datetime,
    apply: Callable[[QuerySet, list], list],
    batch_size: int | None = None,
    name_ids: bool = True,
    what: str = "",
    scan_first: bool = False,
) -> int:
    """Lock up to `batch_size` rows of `queryset` that nobody else holds, check them against
    `queryset` again, `apply` the change to those still matching (it returns the keys it
    changed) and record it, in one transaction; then the next rows, in key order, until none
    is left. A row skipped (locked by someone else, no longer matching, or kept by `apply`)
    waits for the next run. Returns how many rows were changed.

    Why the second look: the statement that locks the rows evaluates its conditions on other
    tables (the EXISTS of a certificate, a sign-in) in the snapshot it started with, so a row
    linking to one of them committed while it ran is not seen. Under READ COMMITTED a new
    statement takes a new snapshot: run after the lock, it sees every link committed before
    the lock was taken, and a link written later has to wait for the lock (or, written with
    the row locked by its writer, made the lock skip it).

    `scan_first`, for conditions that cost a pass over other large tables (a person's
    certificates, devices, letters): the keys matching `queryset` are read first in one
    statement without locks; each batch then locks the rows of its slice of them that nobody
    else holds, by key alone, and the second look keeps those that still match. Otherwise
    each batch's locking statement looks for its rows itself, which PostgreSQL may plan as a
    pass over the whole tables for every batch. The second look after the lock is the same
    either way; a row that comes due while the run goes waits for the next one."""
    model, size = queryset.model, batch_size or settings.PORTAL_RETENTION_BATCH
    label = what or model._meta.label_lower
    keys = list(queryset.order_by("pk").values_list("pk", flat=True)) if scan_first else None
    done, last, start = 0, None, 0
    while True:
        with transaction.atomic():
            if keys is not None:
                if start >= len(keys):
                    return done
                # Matched by the scan: locked by key alone, the second look decides.
                rows = model._base_manager.filter(InKeys("pk", keys[start : start + size]))
                start += size
            else:
                rows = queryset if last is None else queryset.filter(pk__gt=last)
            ids = list(
                rows.select_for_update(skip_locked=True, of=("self",))
                .order_by("pk")
                .values_list("pk", flat=True)[:size]
            )
            if not ids:
                if keys is None:
                    return done
                continue
            last = ids[-1]
            ids = list(
                queryset.filter(InKeys("pk", ids)).order_by("pk").values_list("pk", flat=True)
            )
            changed = apply(model._base_manager.filter(InKeys("pk", ids)), ids) if ids else []
            if not changed:
                continue
            after = {"model": label, "count": len(changed), **period.summary(now)}
            if name_ids:
                after["ids"] = changed
            audit_record(actor=None, action=action, after=after, reason=period.setting)
        done += len(changed)


def rows_update(model, keys: list, values: dict) -> int:
    """One UPDATE of `model`'s rows `keys`. A value that is a list gives each row its own, in
    the order of `keys` and as the column stores it (an encrypted field's already encrypted:
    SQL cannot compute one, docs/privacy-at-rest.md); any other value is the field's value for
    every row. On PostgreSQL each list goes as one array (`unnest`), so the statement is the
    same whatever the batch's size; elsewhere as a CASE over the keys. How many rows."""
    if not keys:
        return 0
    per_row = {name: value for name, value in values.items() if isinstance(value, list)}
    same = {name: value for name, value in values.items() if name not in per_row}
    if connection.vendor != "postgresql" or not per_row:
        rows = model._base_manager.filter(InKeys("pk", keys))
        return rows.update(**same, **_cases(keys, per_row))
    opts, quote = model._meta, connection.ops.quote_name
    table, pk = quote(opts.db_table), quote(opts.pk.column)
    fields = {name: opts.get_field(name) for name in values}
    assignments = [f"{quote(fields[name].column)} = %s" for name in same]
    params = [fields[name].get_db_prep_save(value, connection) for name, value in same.items()]
    names = [f"c{i}" for i in range(len(per_row))]
    assignments += [
        f"{quote(fields[name].column)} = v.{alias}"
        for name, alias in zip(per_row, names, strict=True)
    ]
    arrays = ", ".join(["%s::text[]"] * len(per_row))
    sql = (
        f"UPDATE {table} SET {', '.join(assignments)} "  # noqa: S608 (names from the model)
        f"FROM unnest({arrays}, %s::{opts.pk.rel_db_type(connection)}[]) "
        f"AS v({', '.join(names)}, pk) WHERE {table}.{pk} = v.pk"
    )
    params += [*per_row.values(), list(keys)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _cases(keys: list, per_row: dict) -> dict:  # pragma: no mutate block (SQLite: testing.md §3)
    """Each per-row column as a CASE over the keys: how databases other than PostgreSQL take
    per-row values (on PostgreSQL `per_row` is empty here)."""
    return {
        name: Case(
            *(When(pk=key, then=Value(value)) for key, value in zip(keys, column, strict=True)),
            output_field=CharField(),
        )
        for name, column in per_row.items()
    }


def retention_delete(
    *,
    queryset: QuerySet,
    period: Period,
    now: datetime,
    files: Callable[[QuerySet], list[tuple[object, str]]] | None = None,
    batch_size: int | None = None,
    name_ids: bool = True,
) -> int:
    """Delete the rows of `queryset` (with what cascades from them) by batches. `files` names
    the stored files of a batch's rows, as (storage, name): deleted once the batch commits
    (a file whose deletion fails is an orphan the owner's own sweep removes later). A row
    another record still protects (on_delete=PROTECT, from an app this one cannot name) is
    kept and the rest of its batch deleted."""

    def delete(rows: QuerySet) -> None:
        stored = files(rows) if files is not None else []
        rows.delete()
        for storage, name in stored:
            transaction.on_commit(lambda s=storage, n=name: s.delete(n), robust=True)

    def apply(batch: QuerySet, ids: list) -> list:
        try:
            with transaction.atomic():
                delete(batch)
            return ids
        except ProtectedError:
            deleted = []
            for pk in ids:
                try:
                    with transaction.atomic():
                        delete(batch.filter(pk=pk))
                    deleted.append(pk)
                except ProtectedError:
                    continue
            return deleted

    return retention_batches(
        queryset=queryset,
        action=DELETE,
        period=period,
        now=now,
        apply=apply,
        batch_size=batch_size,
        name_ids=name_ids,
    )


# --- The ground floor's own record types ---

SESSIONS = Period("PORTAL_SESSION_IDLE_MINUTES", "expiry")
IMPORTS = Period("PORTAL_RETENTION_IMPORT_DAYS", "days")
EXPORTS = Period("PORTAL_RETENTION_EXPORT_DAYS", "days")


def sessions_sweep(*, now: datetime) -> int:
    """Django's `clearsessions`, by batches: the sessions whose expiry passed (their keys are
    not named in the audit trail: they were credentials)."""
    return retention_delete(
        queryset=Session.objects.filter(expire_date__lt=SESSIONS.cutoff(now)),
        period=SESSIONS,
        now=now,
        name_ids=False,
    )


def import_jobs_retention_sweep(*, now: datetime) -> int:
    """Finished imports (confirmed, discarded, failed) older than their period: the job, its
    file and parsed rows (kept in the row) deleted; the record of which rows a letter got from
    it (`LetterImport`) goes with it, the letter's audit trail keeps that."""
    finished = (ImportJob.Status.CONFIRMED, ImportJob.Status.DISCARDED, ImportJob.Status.FAILED)
    queryset = ImportJob.objects.alias(ended=Coalesce("finished_at", "created_at")).filter(
        status__in=finished, ended__lt=IMPORTS.cutoff(now)
    )
    return retention_delete(queryset=queryset, period=IMPORTS, now=now)


def export_jobs_retention_sweep(*, now: datetime) -> int:
    """Export jobs finished (ready, failed, expired) before their period: deleted with any file
    still stored (the export sweep deletes most after PORTAL_EXPORT_KEEP_HOURS). A job queued
    or building is kept, and so is a ready one its owner may still download (asked for within
    PORTAL_EXPORT_KEEP_HOURS, the export page's own rule), whatever the two settings say."""
    S = ExportJob.Status
    downloadable = now - timedelta(hours=settings.PORTAL_EXPORT_KEEP_HOURS)
    queryset = (
        ExportJob.objects.alias(ended=Coalesce("finished_at", "created_at"))
        .filter(ended__lt=EXPORTS.cutoff(now))
        .exclude(status__in=(S.QUEUED, S.BUILDING))
        .exclude(status=S.READY, created_at__gte=downloadable)
    )
    storage = export_storage()

    def files(batch: QuerySet) -> list[tuple[object, str]]:
        names = batch.exclude(stored_name="").values_list("stored_name", flat=True)
        return [(storage, name) for name in names]

    return retention_delete(queryset=queryset, period=EXPORTS, now=now, files=files)


def portal_retention_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """The ground floor's sweep: expired sessions, old import and export jobs."""
    now = now or timezone.now()
    return {
        "sessions": sessions_sweep(now=now),
        "import_jobs": import_jobs_retention_sweep(now=now),
        "export_jobs": export_jobs_retention_sweep(now=now),
    }
