"""Before `make mutants` (docs/testing.md §2): drop the run's test database and its copies.

Every mutant's pytest reuses one test database (`--reuse-db`). A run stopped half-way leaves
behind what its session-wide fixtures committed, and the next run's first test then meets
those rows (a duplicate key); so each run starts from a database it migrates itself, and
keeps its own copy of it (tests/db_template.py).
"""

import os
import sys

import dj_database_url
import psycopg
from psycopg import sql


def main() -> int:
    database = dj_database_url.parse(os.environ["DATABASE_URL"])
    test_name = f"test_{database['NAME']}"
    with psycopg.connect(
        host=database["HOST"] or "127.0.0.1",
        port=database["PORT"] or 5432,
        user=database["USER"] or "postgres",
        password=database["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as connection:
        copies = connection.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{test_name}_tpl_%"]
        ).fetchall()
        for name in [test_name, *(copy for (copy,) in copies)]:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    print(f"dropped {test_name} and its copies (if they were there)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
