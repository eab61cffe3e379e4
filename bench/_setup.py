"""What every benchmark needs before Django starts: the project on the import path, settings
for a throw-away run, and a throw-away database (Django's test database: a temporary SQLite
file, or test_<name> on PostgreSQL when DATABASE_URL is set), so a benchmark never touches
real data."""

import atexit
import os
import secrets
import shutil
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def configure() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    # A throw-away database: the marked development passphrases are acceptable here.
    os.environ.setdefault("CA_ALLOW_DEV_PASSPHRASE", "1")
    # Audited writes need the audit chain's key (docs/operations.md §1); a throw-away one here.
    os.environ.setdefault("AUDIT_HMAC_KEY", secrets.token_hex(32))
    # Benchmarks measure the API's speed, not its rate limits: counted, never reached.
    os.environ.setdefault("PORTAL_API_RATE_TOKEN", "1000000/minute")
    os.environ.setdefault("PORTAL_API_RATE_ADDRESS", "1000000/minute")


def throwaway_token_store(prefix: str) -> Path:
    """A SoftHSM2 token store of this run only (the CA's HSM slot, the subscribers' tokens
    and the remote-signing slot it makes), chosen by SOFTHSM2_CONF: call it before the portal
    loads the PKCS#11 module; processes started later inherit it. Removed when the run ends."""
    store = Path(tempfile.mkdtemp(prefix=prefix))
    (store / "tokens").mkdir()
    (store / "softhsm2.conf").write_text(
        f"directories.tokendir = {store / 'tokens'}\nobjectstore.backend = file\n"
        "log.level = ERROR\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(store / "softhsm2.conf")
    atexit.register(shutil.rmtree, store, ignore_errors=True)
    return store


@contextmanager
def throwaway_database(prefix: str, *, keep: bool = False, template: str | None = None):
    """Django set up on a fresh test database, dropped at the end (kept with `keep`, to
    study a large seeded run again); yields the connection. With `template` (PostgreSQL), a
    copy of that database instead (`bench/run`'s dataset: what is measured then runs among
    1M certificates, and the dataset itself stays as seeded)."""
    import django
    from django.conf import settings

    django.setup()
    from django.db import connection

    if template:
        with _copy_of(connection, template, prefix) as copied:
            yield copied
        return
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        directory = tempfile.mkdtemp(prefix=prefix)
        db.setdefault("TEST", {})["NAME"] = str(Path(directory) / "bench.sqlite3")
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield connection
    finally:
        if keep:
            print(f"kept the database {connection.settings_dict['NAME']}")
        else:
            connection.creation.destroy_test_db(old_name, verbosity=0)


def serve_pages() -> None:
    """Pages for the test client: its host allowed, and static files named without the
    manifest that collectstatic builds at deployment."""
    from django.test import override_settings

    override_settings(
        ALLOWED_HOSTS=["testserver"],
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ).enable()


@contextmanager
def _copy_of(connection, template: str, prefix: str):
    import time

    name = f"{template}_{prefix.strip('-').replace('-', '_')}"
    started = time.perf_counter()
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    print(f"copied {template} into {name} in {time.perf_counter() - started:.0f} s", flush=True)
    old_name = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = name
    try:
        yield connection
    finally:
        connection.close()
        connection.settings_dict["NAME"] = old_name
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
