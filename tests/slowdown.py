"""Slow work for the stall tests (docs/processing.md §4.5): a database trigger that makes each
row update of one letter's, one job's or one request's work sleep, inside the worker's own
transaction, as a loaded database or a slow service would. A real delay in the real database,
seen by any worker process: nothing of the portal is replaced. PostgreSQL only."""

from django.db import connection

TRIGGER = "test_slow_work"


def slow_down(table: str, when: str, seconds: float) -> None:
    """Each update of a row of `table` matching the SQL condition `when` (on OLD and NEW)
    sleeps `seconds`, until `speed_up(table)`."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger AS $$ BEGIN"
            f" PERFORM pg_sleep({float(seconds)}); RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE ON {table} FOR EACH ROW"
            f" WHEN ({when}) EXECUTE FUNCTION {TRIGGER}()"
        )


def speed_up(table: str) -> None:
    """Drop the trigger (if still there: safe at any test's teardown)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {table}")
        cursor.execute(f"DROP FUNCTION IF EXISTS {TRIGGER}()")
