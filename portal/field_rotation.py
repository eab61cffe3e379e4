"""Bringing every stored personal-data value under the current key, in batches
(docs/privacy-at-rest.md): the migrations that encrypted the existing rows and the
`rotate_field_keys` command both call `reencrypt_model`.

Works on raw column values through a cursor, so it reads what the database holds whatever the
model would make of it: a value in clear (not yet a token) is encrypted, a token under an older
key or in the older format (Fernet) is re-encrypted under the first key in the current format,
a current token under the first key is left alone;
each row's blind indexes are recomputed from the clear value (a new PORTAL_BLIND_INDEX_KEY
takes effect the same way). A row is rewritten only when something changed, each batch in its
own transaction: a run stopped half-way resumes where it stopped, and a second run writes
nothing (idempotent). On PostgreSQL a batch's changed rows are written by one UPDATE joined
to their new values, not one statement a row.

A binary column (`EncryptedBinaryField`: a PDF kept in its row, an uploaded workbook) may hold
megabytes a row: its batch selects only primary keys, then reads, rewrites and lets go of one
row's file at a time, so memory holds one file whatever the batch.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import connections, transaction

from portal.field_crypto import (
    blind_index,
    decrypt,
    decrypt_bytes,
    encrypt,
    encrypt_bytes,
    is_current,
    is_token,
    is_token_bytes,
    rotated_bytes,
)


@dataclass
class RotationCount:
    model: str
    rows: int = 0
    written: int = 0
    files: int = 0  # non-empty values of binary columns read
    files_written: int = 0


def encrypted_fields(model) -> list:
    return [field for field in model._meta.concrete_fields if getattr(field, "encrypted", False)]


def _clear(raw: str) -> str:
    return decrypt(raw) if is_token(raw) else raw


def _stored(raw: str, clear: str, *, reverse: bool) -> str:
    """What the column should hold for a value stored as `raw`, whose clear text is `clear`."""
    if reverse:
        return clear
    if is_current(raw):
        return raw
    return encrypt(clear)


def reencrypt_model(
    model,
    *,
    using: str = "default",
    batch: int = 0,
    after_pk=0,
    before_pk=None,
    reverse=False,
    progress=None,
    only: tuple[str, ...] = (),
) -> RotationCount:
    """Encrypt (or, `reverse`, decrypt back to clear text) every encrypted column of `model`
    (a live or a historical model; `only`: these fields alone) and refresh its blind indexes,
    `batch` rows a transaction in primary-key order from `after_pk` on (and below `before_pk`,
    when given). `progress(model_label, last_pk)` is called after each batch, so a caller can
    say where to resume."""
    fields = [field for field in encrypted_fields(model) if not only or field.name in only]
    count = RotationCount(model=model._meta.label)
    files = [field for field in fields if getattr(field, "encrypted_binary", False)]
    fields = [field for field in fields if field not in files]
    for field in files:
        _reencrypt_files(
            model,
            field,
            using=using,
            batch=batch or settings.PORTAL_FIELD_CRYPTO_FILE_BATCH,
            after_pk=after_pk,
            before_pk=before_pk,
            reverse=reverse,
            progress=progress,
            count=count,
        )
    if not fields:
        return count
    batch = batch or settings.PORTAL_FIELD_CRYPTO_BATCH
    connection = connections[using]
    quote = connection.ops.quote_name
    opts = model._meta
    pk = quote(opts.pk.column)
    indexed = [(field, opts.get_field(field.blind_index)) for field in fields if field.blind_index]
    columns = [field.column for field in fields] + [index.column for _f, index in indexed]
    # The batch's rows are locked until its transaction ends, so that an edit made meanwhile
    # waits and is not overwritten with the value read here (PostgreSQL; SQLite locks the
    # whole database for a write transaction anyway).
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    below = "" if before_pk is None else f" AND {pk} < %s"
    select = (
        f"SELECT {pk}, {', '.join(quote(c) for c in columns)} FROM {quote(opts.db_table)} "  # noqa: S608
        f"WHERE {pk} > %s{below} ORDER BY {pk} LIMIT %s{lock}"
    )
    update = _update_statement(connection, opts, columns)
    last = after_pk
    while True:
        with transaction.atomic(using=using):
            with connection.cursor() as cursor:
                cursor.execute(select, [last, *([] if before_pk is None else [before_pk]), batch])
                rows = cursor.fetchall()
            if not rows:
                break
            changes = []
            for row in rows:
                raw = [None if value is None else str(value) for value in row[1 : 1 + len(fields)]]
                old_indexes = list(row[1 + len(fields) :])
                clear = [_clear(value) if value else "" for value in raw]
                new = [
                    _stored(value, text, reverse=reverse) if value else value
                    for value, text in zip(raw, clear, strict=True)
                ]
                clear_of = dict(zip((field.attname for field in fields), clear, strict=True))
                indexes = [blind_index(clear_of[field.attname]) for field, _i in indexed]
                if new != raw or indexes != old_indexes:
                    changes.append([*new, *indexes, row[0]])
            if changes:
                update(changes)
            count.rows += len(rows)
            count.written += len(changes)
            last = rows[-1][0]
        if progress is not None:
            progress(opts.label, last)
    return count


def _update_statement(connection, opts, columns: list[str]):
    """A function writing a batch's changes (lists of the columns' new values, then the key):
    on PostgreSQL one UPDATE joined to the batch's values passed as one array a column (no
    statement text growing with the batch), elsewhere one statement a row."""
    quote = connection.ops.quote_name
    table, pk = quote(opts.db_table), quote(opts.pk.column)
    if connection.vendor != "postgresql":
        assignments = ", ".join(f"{quote(c)} = %s" for c in columns)
        sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608

        def each(changes: list[list]) -> None:
            with connection.cursor() as cursor:
                cursor.executemany(sql, changes)

        return each
    names = [f"c{i}" for i in range(len(columns))]
    sql = (
        f"UPDATE {table} SET "  # noqa: S608
        + ", ".join(f"{quote(c)} = v.{n}" for c, n in zip(columns, names, strict=True))
        + f" FROM unnest({', '.join(['%s::text[]'] * len(columns))}, "
        f"%s::{opts.pk.rel_db_type(connection)}[]) AS v({', '.join(names)}, pk) "
        f"WHERE {table}.{pk} = v.pk"
    )

    def joined(changes: list[list]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, [list(values) for values in zip(*changes, strict=True)])

    return joined


def encrypt_rows_migration(*labels: str, only: tuple[str, ...] = ()):
    """The RunPython pair of a data migration encrypting the existing rows of `labels`
    ("app.Model"; `only`: these fields alone) and filling their blind indexes; its reverse
    writes them back in clear."""

    def forward(apps, schema_editor):
        for label in labels:
            reencrypt_model(apps.get_model(label), using=schema_editor.connection.alias, only=only)

    def backward(apps, schema_editor):
        for label in labels:
            reencrypt_model(
                apps.get_model(label),
                using=schema_editor.connection.alias,
                reverse=True,
                only=only,
            )

    return forward, backward


def _stored_file(raw: bytes, *, reverse: bool) -> bytes:
    if reverse:
        return decrypt_bytes(raw) if is_token_bytes(raw) else raw
    return rotated_bytes(raw) if is_token_bytes(raw) else encrypt_bytes(raw)


def _reencrypt_files(
    model, field, *, using, batch, after_pk, before_pk, reverse, progress, count: RotationCount
) -> None:
    """One binary column of `model`, `batch` rows a transaction (locked, as above), each
    row's file read, rewritten when needed and dropped before the next is read."""
    connection = connections[using]
    quote = connection.ops.quote_name
    opts = model._meta
    pk, table, column = quote(opts.pk.column), quote(opts.db_table), quote(field.column)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    # Empty and NULL files are left as they are (an emptied file stays empty).
    below = "" if before_pk is None else f" AND {pk} < %s"
    select = (
        f"SELECT {pk} FROM {table} WHERE {pk} > %s{below} AND LENGTH({column}) > 0 "  # noqa: S608
        f"ORDER BY {pk} LIMIT %s{lock}"
    )
    read = f"SELECT {column} FROM {table} WHERE {pk} = %s"  # noqa: S608
    update = f"UPDATE {table} SET {column} = %s WHERE {pk} = %s"  # noqa: S608
    last = after_pk
    while True:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute(select, [last, *([] if before_pk is None else [before_pk]), batch])
            keys = [row[0] for row in cursor.fetchall()]
            if not keys:
                break
            for key in keys:
                cursor.execute(read, [key])
                raw = bytes(cursor.fetchone()[0])
                new = _stored_file(raw, reverse=reverse)
                if new is not raw:
                    cursor.execute(update, [connection.Database.Binary(new), key])
                    count.files_written += 1
                count.files += 1
            last = keys[-1]
        if progress is not None:
            progress(opts.label, last)
