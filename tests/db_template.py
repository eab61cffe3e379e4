"""A copy of the freshly migrated test database, to make it again in a second instead of
migrating it for twenty (docs/testing.md §1).

A reused PostgreSQL test database left holding a killed run's cast (tests/cast.py) must be
made again before the next session. In a mutation run that happens after every mutant past
its time limit; migrating each time cost more than the mutant. The first session that reuses
the database keeps a copy of it as a template, named by a digest of the migration files (a
changed migration names another); later ones make the database again with `CREATE DATABASE …
TEMPLATE`, which copies files inside the server.
"""

import hashlib

import psycopg
from django.conf import settings
from django.db import connection, connections
from psycopg import sql


def migrations_digest() -> str:
    """A digest of every migration file's path and text: cheap enough for each session."""
    digest = hashlib.sha256()
    for path in sorted(settings.BASE_DIR.glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(settings.BASE_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def template_name(test_name: str) -> str:
    return f"{test_name}_tpl_{migrations_digest()}"


def template_restore(test_name: str) -> bool:
    """Make the test database again from its template; False when there is none yet."""
    template = template_name(test_name)
    with _server() as server:
        if not _exists(server, template):
            return False
        server.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(test_name))
        )
        server.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(test_name), sql.Identifier(template)
            )
        )
    return True


def template_save() -> None:
    """Keep a copy of the test database as it stands (migrated, before the cast is built)
    when there is none for today's migrations; older copies of it are dropped."""
    test_name = connection.settings_dict["NAME"]
    template = template_name(test_name)
    with _server() as server:
        if _exists(server, template):
            return
        others = server.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{test_name}_tpl_%"]
        ).fetchall()
        for (other,) in others:
            server.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(other)))
        connections.close_all()  # a template is copied with no one connected to it
        server.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(template), sql.Identifier(test_name)
            )
        )


def _exists(server: psycopg.Connection, name: str) -> bool:
    return bool(server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())


def _server() -> psycopg.Connection:
    database = connection.settings_dict
    return psycopg.connect(
        host=database["HOST"] or "127.0.0.1",
        port=database["PORT"] or 5432,
        user=database["USER"] or "postgres",
        password=database["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
