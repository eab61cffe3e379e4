"""Inserting many rows at once (docs/architecture.md §4.8: a merger writes 100,000 planned
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


def insert_rows(model, fields: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert `rows` (tuples of column values in the order of `fields`, attribute names
    such as "plan_id") into `model`'s table; returns how many."""
    opts = model._meta
    columns = [opts.get_field(name).column for name in fields]
    attnames = [opts.get_field(name).attname for name in fields]
    if connection.vendor != "postgresql":
        objs = [model(**dict(zip(attnames, row, strict=True))) for row in rows]
        model.objects.bulk_create(objs, batch_size=2000)
        return len(objs)
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
        executor(sql, None, False, {"connection": connection, "cursor": cursor})
        if connection.queries_logged:
            connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})
    return written


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
