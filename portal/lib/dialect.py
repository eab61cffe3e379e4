"""The few SQL fragments that differ between PostgreSQL and SQLite, for the sweeps' raw SQL
(docs/processing.md §4.9, "One SQL for two databases").

PostgreSQL runs the statements tuned at a million certificates, unchanged; SQLite (`make run`,
a developer's `make test`) gets the same statement with its own spelling of the fragment.
"""

from django.db import connection
from django.utils import timezone


def subject_id(column: str) -> str:
    """The number after the first colon of a subject such as "letter:12", as an integer: what
    a correlated subquery matches against a primary key (its index)."""
    if connection.vendor == "postgresql":
        return f"split_part({column}, ':', 2)::bigint"
    return f"CAST(substr({column}, instr({column}, ':') + 1) AS INTEGER)"


def now_param():
    """Now, as a parameter for a timestamp column in raw SQL: what the ORM would write (SQLite
    keeps timestamps as text in UTC; PostgreSQL takes the aware datetime)."""
    return connection.ops.adapt_datetimefield_value(timezone.now())
