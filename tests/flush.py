"""The flush that ends each transactional test (pytest-django's `transactional_db`, the live
server's and the worker processes' tests), by DELETE instead of PostgreSQL's TRUNCATE.

Django empties every table with one TRUNCATE of the 80 tables, then `post_migrate` writes the
content types and permissions back: 0.4 s per test, most of it the TRUNCATE, which makes new
files for every table. A test's tables hold a few rows, which DELETE removes in milliseconds;
the foreign keys Django creates are deferred to the commit, so the order does not matter; the
content types and permissions stay, as `post_migrate` would write them again. A flush asked to
reset the sequences is still the TRUNCATE. SQLite's flush is a DELETE already.

After the flush, the committed cast is written back (tests/cast.py).
"""

from collections.abc import Callable

from django.db.backends.postgresql.operations import DatabaseOperations
from django.test import TransactionTestCase

KEPT = frozenset({"django_content_type", "auth_permission"})
TRUNCATE = DatabaseOperations.sql_flush
TEARDOWN = TransactionTestCase._fixture_teardown


def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
    if reset_sequences:
        return TRUNCATE(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
    return [
        f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};"
        for table in tables
        if table not in KEPT
    ]


def by_delete(*, then: Callable[[], None]) -> None:
    """Flush by DELETE; `then` runs after each transactional test's flush (on SQLite too)."""
    DatabaseOperations.sql_flush = sql_flush

    def teardown(self):
        TEARDOWN(self)
        then()

    TransactionTestCase._fixture_teardown = teardown


def by_truncate() -> None:
    DatabaseOperations.sql_flush = TRUNCATE
    TransactionTestCase._fixture_teardown = TEARDOWN
