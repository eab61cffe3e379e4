"""Bulk SQL for the national dataset (dashboard/scale_seed.py, docs/scale.md §12.1): a
table filled by PostgreSQL itself with `INSERT … SELECT`, every NOT NULL column the statement
does not name given its model default."""

import json

from django.db import connection, models
from psycopg import sql


def literal(value) -> str:
    """A model default as an SQL literal (defaults are the code's, not user input)."""
    if isinstance(value, dict | list):
        value = json.dumps(value)
    return sql.Literal(value).as_string(connection.connection)


def default_sql(field) -> str:
    """The SQL a NOT NULL column gets when a statement does not name it."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return "now()"
    if field.has_default():
        return literal(field.get_default())
    if isinstance(field, models.CharField | models.TextField):
        return "''"
    raise ValueError(f"{field.model.__name__}.{field.name} needs a value in the seed")


def insert_select(model, exprs: dict[str, str], source: str) -> int:
    """`INSERT INTO <model> (…) SELECT <exprs> FROM <source>`: `exprs` maps field names to SQL
    expressions over the source; every other NOT NULL column gets its default. Returns the
    number of rows written."""
    columns, selects = [], []
    named = set(exprs)
    for field in model._meta.concrete_fields:
        if field.name in named or field.attname in named:
            sql = exprs.get(field.name, exprs.get(field.attname))
            columns.append(field.column)
            selects.append(sql)
        elif field.primary_key or field.null:
            continue
        else:
            columns.append(field.column)
            selects.append(default_sql(field))
    unknown = (
        named
        - {f.name for f in model._meta.concrete_fields}
        - {f.attname for f in model._meta.concrete_fields}
    )
    if unknown:
        raise ValueError(f"{model.__name__} has no field {sorted(unknown)}")
    quote = connection.ops.quote_name
    # No parameters: every value is SQL over the source or a literal, so `%` is the modulo.
    statement = "INSERT INTO {} ({}) SELECT {} FROM {}".format(  # noqa: S608 (the code's SQL)
        quote(model._meta.db_table),
        ", ".join(quote(c) for c in columns),
        ", ".join(selects),
        source,
    )
    with connection.cursor() as cursor:
        cursor.execute(statement)
        return cursor.rowcount


def last_id(model) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {model._meta.db_table}")  # noqa: S608
        return cursor.fetchone()[0]


def reset_sequences(*tables) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'),"  # noqa: S608 (our tables)
                f" (SELECT coalesce(max(id), 1) FROM {table}))",
                [table],
            )
