"""The database settings, read from the environment (README "Configuration"): SQLite under
var/ by default, PostgreSQL from DATABASE_URL, optionally behind PgBouncer."""

from pathlib import Path

import dj_database_url

from portal.lib.env import env_int, env_str


def databases_from_env(var_dir: Path) -> dict:
    """`default` (the primary, through PgBouncer when DATABASE_POOLER says so) and, when
    DATABASE_REPLICA_URL is set, `replica`: a streaming replica the lists, exports and
    statistics read (portal/replica.py), reached directly."""
    databases = {
        "default": database_from_env(
            env_str("DATABASE_URL", f"sqlite:///{var_dir / 'portal.sqlite3'}"),
            var_dir,
            pooler=env_str("DATABASE_POOLER", ""),
        )
    }
    replica_url = env_str("DATABASE_REPLICA_URL", "")
    if replica_url:
        replica = database_from_env(replica_url, var_dir, pooler="")
        # A replica that does not answer is noticed in 2 s and left alone for a while; one
        # that stops answering on an open connection, within seconds (TCP keepalives and
        # unacknowledged data), not when the kernel gives up.
        replica["OPTIONS"].update(
            connect_timeout=2,
            keepalives=1,
            keepalives_idle=5,
            keepalives_interval=2,
            keepalives_count=2,
            tcp_user_timeout=5000,
        )
        # The tests' replica is their primary: no second test database.
        replica["TEST"] = {"MIRROR": "default"}
        databases["replica"] = replica
    return databases


def database_from_env(url: str, var_dir: Path, *, pooler: str) -> dict:
    max_age = env_int("DATABASE_CONN_MAX_AGE", 0)
    # A kept connection is checked before a request reuses it: one that a restart of PgBouncer
    # or a failover broke is replaced, instead of failing that request.
    database = dj_database_url.parse(url, conn_max_age=max_age, conn_health_checks=max_age > 0)
    options = database.setdefault("OPTIONS", {})
    if database["ENGINE"].endswith("sqlite3"):
        # A busy timeout lets the web server and the worker share the file without "database
        # is locked" errors under the light load of a demo.
        # WAL lets readers go on while one connection writes; IMMEDIATE transactions take the
        # write lock at BEGIN, where the busy timeout waits for it, instead of failing at once
        # when a read transaction tries to write after another connection committed.
        options.update(
            timeout=20,
            transaction_mode="IMMEDIATE",
            init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        )
        # The test database in a file, not in shared-cache memory: shared cache locks whole
        # tables and fails at once ("database table is locked") when a browser test's live
        # server reads while the test writes, where a file waits for the busy timeout.
        database["TEST"] = {"NAME": str(var_dir / "test-portal.sqlite3")}
    elif database["ENGINE"].endswith("postgresql"):
        # No JIT compilation: the portal's queries are short index scans under a LIMIT, for
        # which compiling costs 0.1–2.3 s and saves nothing — the planner's cost estimates
        # (inflated by the scoping subqueries) switched it on for list pages at a million
        # certificates (docs/scale.md §12.2).
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
        # A server that does not answer fails a request (and readiness) in seconds, not minutes.
        options.setdefault("connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 5))
        if pooler == "pgbouncer":
            # Transaction pooling hands each transaction any server connection: nothing may
            # outlive one, so no server-side cursors and no startup options; PgBouncer's
            # connect_query turns JIT off. Django binds parameters on the client, so it
            # prepares no statement (docs/deployment.md, "PgBouncer").
            database["DISABLE_SERVER_SIDE_CURSORS"] = True
            del options["options"]
        # The test database's name, pinned (it is Django's default): a test run started from a
        # process whose earlier run already renamed NAME to the test database (a mutant's run
        # under `make mutants`, docs/testing.md §2) reuses it instead of nesting "test_test_…".
        database["TEST"] = {"NAME": f"test_{database['NAME']}"}
    # django-prometheus's wrapper of the same backend counts queries, errors and their durations.
    database["ENGINE"] = database["ENGINE"].replace(
        "django.db.backends.", "django_prometheus.db.backends.", 1
    )
    return database
