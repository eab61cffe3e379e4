"""Search that forgives accents (docs/architecture.md §2.7): "Hang" finds "Hằng", "dang" finds
"Đặng".

Both sides are folded the same way: every Latin letter with diacritics becomes its bare letter
(đ and Đ become d, which Unicode does not decompose), then lower case. `fold()` folds the user's
query in Python; `Folded(expression)` folds a column in the database through the SQL function
`portal_fold`, which is the very same character table: on PostgreSQL a `translate()` created by
the migration `portal/migrations/0009_portal_fold.py`, on SQLite this module's `fold` registered
on every connection. No database extension is needed.

A change of the table below needs a new migration that re-creates the PostgreSQL function.
"""

import unicodedata

from django.db import models
from django.db.models.lookups import Contains


def _table() -> tuple[str, str]:
    sources, targets = ["đĐ"], ["dD"]
    for code in (*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)):
        char = chr(code)
        bare = "".join(
            c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c)
        )
        if bare != char and len(bare) == 1 and bare.isascii() and bare.isalpha():
            sources.append(char)
            targets.append(bare)
    return "".join(sources), "".join(targets)


FOLD_FROM, FOLD_TO = _table()
_TRANSLATION = str.maketrans(FOLD_FROM, FOLD_TO)


def fold(text: str | None) -> str | None:
    """The text with its accents removed and in lower case; None stays None (as in SQL)."""
    if text is None:
        return None
    return unicodedata.normalize("NFC", text).translate(_TRANSLATION).lower()


class Folded(models.Func):
    """A text column folded by the database, to compare with `fold(query)`."""

    function = "portal_fold"
    output_field = models.TextField()


def folded_match(query: str, *fields: str) -> models.Q:
    """A filter: any of `fields` (paths such as "holder__full_name") contains `query`, both
    folded. An empty query matches nothing, so callers decide what "no search" means."""
    folded = fold(query or "").strip()
    if not folded:
        return models.Q(pk__in=[])
    condition = models.Q()
    for field in fields:
        condition |= models.Q(Contains(Folded(field), folded))
    return condition


def postgresql_function_sql() -> str:
    """The PostgreSQL definition of `portal_fold`, from the same table as `fold`."""
    quote = "'{}'".format
    return (
        "CREATE OR REPLACE FUNCTION portal_fold(text) RETURNS text "
        f"AS $$ SELECT lower(translate($1, {quote(FOLD_FROM)}, {quote(FOLD_TO)})) $$ "
        "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE"
    )


def register_sqlite_function(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: SQLite gets `portal_fold` on every new connection."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("portal_fold", 1, fold, deterministic=True)
