"""The backup and restore drill of docs/operations.md, end to end.

Dump the portal's PostgreSQL database with `pg_dump -Fc` (or take an existing dump), restore it
into a fresh scratch database, run `manage.py audit_verify --checkpoints FILE` with the portal
pointed at the scratch database, and drop the scratch database. Exit code non-zero when any
step fails or the restored audit chain does not verify against the checkpoints.
"""

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

MANAGE_PY = Path(settings.BASE_DIR) / "manage.py"
TOOLS = ("pg_dump", "pg_restore", "createdb", "dropdb")


class Command(BaseCommand):
    help = (
        "Backup/restore drill: dump the database (pg_dump -Fc), restore it into a scratch "
        "database, verify the audit chain there against the checkpoints, drop the scratch "
        "database (docs/operations.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--database-url",
            help="postgres:// URL of the database to drill (default: the portal's own)",
        )
        parser.add_argument(
            "--checkpoints",
            metavar="FILE",
            help="checkpoint file to verify against (default: AUDIT_CHECKPOINT_FILE)",
        )
        parser.add_argument(
            "--dump",
            metavar="FILE",
            help="restore this existing pg_dump -Fc file instead of taking a new dump",
        )
        parser.add_argument(
            "--keep", action="store_true", help="leave the scratch database in place"
        )

    def handle(self, *args, **options):
        missing = [tool for tool in TOOLS if shutil.which(tool) is None]
        if missing:
            raise CommandError(f"PostgreSQL client tools missing from PATH: {', '.join(missing)}")
        source = options["database_url"] or _portal_database_url()
        checkpoints = options["checkpoints"] or settings.AUDIT_CHECKPOINT_FILE
        if not Path(checkpoints).is_file():
            raise CommandError(f"checkpoint file {checkpoints} does not exist")
        url, env = _split_password(source)
        scratch_name = f"{_database_name(url)[:30]}_drill_{secrets.token_hex(4)}"
        scratch_url = _with_database(url, scratch_name)

        with tempfile.TemporaryDirectory(prefix="restore-drill-") as workdir:
            dump = options["dump"]
            if dump is None:
                dump = str(Path(workdir) / "portal.dump")
                self._run("1/4 dump", ["pg_dump", "-Fc", "-f", dump, "-d", url], env)
            else:
                self.stdout.write(f"1/4 dump: using {dump}")
            self._run(
                "2/4 create scratch database",
                ["createdb", f"--maintenance-db={url}", scratch_name],
                env,
            )
            try:
                self._run(
                    "3/4 restore",
                    ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                     "-d", scratch_url, dump],
                    env,
                )  # fmt: skip
                verified = self._verify(scratch_url, env, checkpoints)
            finally:
                if options["keep"]:
                    self.stdout.write(f"4/4 kept scratch database {scratch_name}")
                else:
                    self._run(
                        "4/4 drop scratch database",
                        ["dropdb", f"--maintenance-db={url}", "--if-exists", scratch_name],
                        env,
                    )
        if not verified:
            raise CommandError(
                "Restore drill FAILED: the restored audit chain does not verify against the "
                "checkpoints. Follow docs/operations.md, 'When the drill fails'."
            )
        self.stdout.write("Restore drill passed.")

    def _run(self, step: str, command: list[str], env: dict) -> None:
        self.stdout.write(f"{step}: {command[0]}")
        result = subprocess.run(command, env=env, capture_output=True, text=True)  # noqa: S603
        if result.returncode != 0:
            raise CommandError(f"{step} failed ({command[0]}): {result.stderr.strip()}")

    def _verify(self, scratch_url: str, env: dict, checkpoints: str) -> bool:
        """Run the portal's own `audit_verify` on the scratch database, with this portal's keys."""
        password = env.get("PGPASSWORD")
        child_env = {
            **env,
            "DATABASE_URL": _with_password(scratch_url, password) if password else scratch_url,
            "AUDIT_HMAC_KEY": settings.AUDIT_HMAC_KEY,
            "AUDIT_HMAC_KEYS_OLD": ",".join(settings.AUDIT_HMAC_KEYS_OLD),
            "AUDIT_LEGACY_UNTIL_SEQ": str(settings.AUDIT_LEGACY_UNTIL_SEQ),
        }
        self.stdout.write("verify: manage.py audit_verify --checkpoints " + checkpoints)
        result = subprocess.run(  # noqa: S603 - our own interpreter and script
            [sys.executable, str(MANAGE_PY), "audit_verify", "--checkpoints", checkpoints],
            env=child_env,
            capture_output=True,
            text=True,
        )
        self.stdout.write((result.stdout + result.stderr).strip())
        return result.returncode == 0


def _portal_database_url() -> str:
    if connection.vendor != "postgresql":
        raise CommandError("The restore drill needs PostgreSQL (pg_dump, pg_restore).")
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = quote(db["HOST"] or "127.0.0.1", safe="")  # a socket directory is percent-encoded
    return f"postgres://{auth}@{host}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"


def _split_password(url: str) -> tuple[str, dict]:
    """The URL without its password, and an environment carrying it as PGPASSWORD (so that it
    never appears on a command line)."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise CommandError("The restore drill needs a postgres:// database URL.")
    env = dict(os.environ)
    if parts.password is None:
        return url, env
    env["PGPASSWORD"] = unquote(parts.password)
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.netloc.rsplit("@", 1)[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}@{netloc}")), env


def _with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    user, host = parts.netloc.rsplit("@", 1)
    return urlunsplit(parts._replace(netloc=f"{user}:{quote(password, safe='')}@{host}"))


def _database_name(url: str) -> str:
    return unquote(urlsplit(url).path.lstrip("/"))


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + quote(name, safe="")))
