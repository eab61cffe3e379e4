"""Inserting many rows at once (docs/processing.md §4.8: a merger writes 100,000 planned
actions and letter rows in one transaction).

On PostgreSQL the rows go through one `COPY … FROM STDIN` per call: no SQL text built and
parsed per row, unlike `bulk_create`'s INSERTs with client-side binding. The statement runs
through Django's execute wrappers and its query log, so query counters (the benchmarks,
`django_assert_num_queries`) see it as the one statement it is. Elsewhere (SQLite in
development) it falls back to `bulk_create`.

Values are passed to the database as they are: plain Python values the driver adapts
(int, str, bool, date, aware datetime, None). No model `save()`, signal or `pre_save` runs,
and no primary key is set on anything: use it for rows nobody reads back in the same call.
"""

import time
from collections.abc import Iterable, Sequence
from functools import partial

from django.db import connection

from portal.field_crypto import blind_index

# Field types whose attribute value is already what the column stores.
_PLAIN = (
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "EmailField",
    "ForeignKey",
    "IntegerField",
    "OneToOneField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SlugField",
    "SmallIntegerField",
    "TextField",
)


def _encrypted(model, rows: Iterable[Sequence], fields: Sequence[str]):
    """The rows as COPY must write them: each encrypted field's value encrypted and its blind
    index added (docs/privacy-at-rest.md); unchanged when `fields` has none."""
    targets = [model._meta.get_field(name) for name in fields]
    crypted = [i for i, field in enumerate(targets) if getattr(field, "encrypted", False)]
    if not crypted:
        return rows, fields
    indexed = [(i, targets[i].blind_index) for i in crypted if targets[i].blind_index]
    indexed = [(i, index) for i, index in indexed if index not in fields]

    def prepared():
        for row in rows:
            values = list(row)
            indexes = [blind_index(values[i]) for i, _index in indexed]
            for i in crypted:
                values[i] = targets[i].get_db_prep_save(values[i], connection)
            yield (*values, *indexes)

    return prepared(), [*fields, *(index for _i, index in indexed)]


def insert_rows(model, fields: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert `rows` (tuples of column values in the order of `fields`, attribute names
    such as "plan_id") into `model`'s table; returns how many."""
    opts = model._meta
    if connection.vendor != "postgresql":
        attnames = [opts.get_field(name).attname for name in fields]
        objs = [model(**dict(zip(attnames, row, strict=True))) for row in rows]
        model.objects.bulk_create(objs, batch_size=2000)
        return len(objs)
    rows, fields = _encrypted(model, rows, fields)
    columns = [opts.get_field(name).column for name in fields]
    quote = connection.ops.quote_name
    sql = "COPY {} ({}) FROM STDIN".format(
        quote(opts.db_table), ", ".join(quote(column) for column in columns)
    )
    written = 0

    def copy(sql, params, many, context):
        nonlocal written
        with context["cursor"].cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
                written += 1

    with connection.cursor() as cursor:
        executor = copy
        for wrapper in reversed(connection.execute_wrappers):
            executor = partial(wrapper, executor)
        started = time.monotonic()
        with connection.wrap_database_errors:  # IntegrityError as Django raises it
            executor(sql, None, False, {"connection": connection, "cursor": cursor})
        if connection.queries_logged:
            connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})
    return written


def create_rows(model, fields: Sequence[str], rows: Iterable[Sequence]) -> list[int]:
    """`insert_rows` for rows whose primary keys the caller needs, returned in row order: on
    PostgreSQL the keys are drawn from the table's sequence first (one query), then the rows go
    in one COPY with them, no model instance built (a sweep's ten thousand notices,
    docs/scale.md §12.4). Fields filled by `save()` (`auto_now_add`) must be given.
    Elsewhere (SQLite) it is `bulk_create`."""
    rows = list(rows)
    if not rows:
        return []
    opts = model._meta
    if connection.vendor != "postgresql":
        attnames = [opts.get_field(name).attname for name in fields]
        objs = [model(**dict(zip(attnames, row, strict=True))) for row in rows]
        model.objects.bulk_create(objs, batch_size=1000)
        return [obj.pk for obj in objs]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [opts.db_table, opts.pk.column, len(rows)],
        )
        keys = [pk for (pk,) in cursor.fetchall()]
    insert_rows(
        model,
        [opts.pk.attname, *fields],
        ((pk, *row) for pk, row in zip(keys, rows, strict=True)),
    )
    return keys


def insert_objects(model, objs: Iterable) -> int:
    """Insert unsaved instances of `model` (every concrete field but the primary key)."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    for field in fields:
        automatic = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        if field.get_internal_type() not in _PLAIN or automatic:
            raise ValueError(f"{model.__name__}.{field.name} needs preparing: use bulk_create")
    attnames = [f.attname for f in fields]
    return insert_rows(
        model,
        attnames,
        ([getattr(obj, name) for name in attnames] for obj in objs),
    )


def update_rows(model, fields: Sequence[str], rows: Sequence[Sequence]) -> int:
    """Give many rows of `model` each its own values of `fields` (attribute names such as
    "device_id"): `rows` are tuples (primary key, value, …) in the order of `fields`.
    Returns how many rows were given.

    On PostgreSQL one `UPDATE … FROM (VALUES …)` per thousand rows, each value cast to its
    column's type; Django's `bulk_update` builds a CASE expression per field and row instead,
    about half a millisecond each. Elsewhere (SQLite) it falls back to `bulk_update`."""
    if not rows:
        return 0
    opts = model._meta
    targets = [opts.get_field(name) for name in fields]
    # An encrypted field's blind index is given with it (docs/privacy-at-rest.md), else a
    # changed value would keep the index of the old one.
    indexed = [
        (i, field.blind_index)
        for i, field in enumerate(targets)
        if getattr(field, "blind_index", None) and field.blind_index not in fields
    ]
    if indexed:
        rows = [(*row, *(blind_index(row[1 + i]) for i, _index in indexed)) for row in rows]
        fields = [*fields, *(index for _i, index in indexed)]
        targets = [opts.get_field(name) for name in fields]
    if connection.vendor != "postgresql":
        objs = []
        for row in rows:
            obj = model(pk=row[0])
            for field, value in zip(targets, row[1:], strict=True):
                setattr(obj, field.attname, value)
            objs.append(obj)
        model.objects.bulk_update(objs, [field.name for field in targets], batch_size=1000)
        return len(objs)
    quote = connection.ops.quote_name
    columns = [opts.pk, *targets]
    placeholder = "({})".format(
        ", ".join(f"%s::{column.db_type(connection)}" for column in columns)
    )
    assignments = ", ".join(
        f"{quote(field.column)} = v.column{i}" for i, field in enumerate(targets, start=2)
    )
    table = quote(opts.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 1000):
            batch = rows[start : start + 1000]
            params = []
            for row in batch:
                for column, value in zip(columns, row, strict=True):
                    params.append(column.get_db_prep_save(value, connection))
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES "  # noqa: S608 - names quoted
                + ", ".join([placeholder] * len(batch))
                + f") AS v WHERE {table}.{quote(opts.pk.column)} = v.column1",
                params,
            )
    return len(rows)


def create_objects(model, objs: Sequence) -> list:
    """`bulk_create` for unsaved instances of `model` that the caller reads back (their
    primary keys set), through COPY on PostgreSQL: the keys are drawn from the table's
    sequence first (one query), then every row goes in one COPY. `auto_now_add` fields are
    filled as `save()` fills them; binary values go as bytes. No `save()` or signal runs.
    Elsewhere (SQLite) it is `bulk_create`. Returns `objs`."""
    objs = list(objs)
    if not objs:
        return objs
    if connection.vendor != "postgresql":
        return model.objects.bulk_create(objs, batch_size=1000)
    opts = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [opts.db_table, opts.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
    fields = list(opts.concrete_fields)
    # How each column's value is read: as it is, as bytes, or prepared as `save()` would.
    plain, binary = [], []
    for field in fields:
        automatic = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        plain.append(field.get_internal_type() in _PLAIN and not automatic)
        binary.append(field.get_internal_type() == "BinaryField")

    def values(obj):
        row = []
        for field, is_plain, is_binary in zip(fields, plain, binary, strict=True):
            if is_plain:
                row.append(getattr(obj, field.attname))
                continue
            value = field.pre_save(obj, add=True)
            if is_binary:
                row.append(None if value is None else bytes(value))
            else:
                row.append(field.get_db_prep_save(value, connection))
        return row

    insert_rows(model, [field.attname for field in fields], (values(obj) for obj in objs))
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias
    return objs
