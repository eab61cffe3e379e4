"""A PostgreSQL primary and its streaming replica of the test's own (Debian's PostgreSQL
binaries, two clusters in a temporary folder on free ports), for the tests of the replica router
(tests/test_replica.py). The clusters run as the `postgres` user when the tests run as root
(initdb refuses root)."""

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.celery_processes import free_port

BIN = Path("/usr/lib/postgresql/15/bin")


def available() -> bool:
    return (BIN / "initdb").exists()


class PgPair:
    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="portal-pg-pair-"))
        self.primary_port = free_port()
        self.replica_port = free_port()
        self.primary_dir = self.root / "primary"
        self.replica_dir = self.root / "replica"
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120)

    def _ctl(self, data: Path, action: str) -> None:
        self._run(str(BIN / "pg_ctl"), "-D", str(data), "-l", f"{data}.log", "-w", action)

    def start(self) -> None:
        self._run(str(BIN / "initdb"), "-D", str(self.primary_dir), "-A", "trust", "-U", "postgres")
        with (self.primary_dir / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {self.primary_port}\nlisten_addresses = '127.0.0.1'\n"
                "unix_socket_directories = ''\nwal_level = replica\nmax_wal_senders = 4\n"
                "fsync = off\n"
            )
        self._ctl(self.primary_dir, "start")

    def start_replica(self) -> None:
        """A replica of the primary as it is now, streaming from then on."""
        self._run(
            str(BIN / "pg_basebackup"),
            "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres",
            "-D", str(self.replica_dir), "-R", "-X", "stream", "-c", "fast",
        )  # fmt: skip
        with (self.replica_dir / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {self.replica_port}\nhot_standby = on\n")
        self._ctl(self.replica_dir, "start")

    def stop_replica(self) -> None:
        self._ctl(self.replica_dir, "stop")

    def url(self, database: str, *, replica: bool = False) -> str:
        port = self.replica_port if replica else self.primary_port
        return f"postgres://postgres@127.0.0.1:{port}/{database}"

    def sql(self, sql: str, *, replica: bool = False, database: str = "postgres") -> str:
        answer = subprocess.run(
            ["psql", self.url(database, replica=replica), "-XAtq", "-v", "ON_ERROR_STOP=1",
             "-c", sql],
            check=True, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        return answer.stdout.strip()

    def copy_database(self, source_url: str, name: str) -> None:
        """`name` on the primary, with the schema and rows of the database at `source_url`."""
        self.sql(f"CREATE DATABASE {name}")
        dump = subprocess.run(
            ["pg_dump", "-Fc", "--no-owner", source_url],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        subprocess.run(
            ["pg_restore", "--no-owner", "-d", self.url(name)],
            input=dump.stdout, check=True, capture_output=True, timeout=120,
        )  # fmt: skip

    def stop(self) -> None:
        for data in (self.replica_dir, self.primary_dir):
            if (data / "postmaster.pid").exists():
                with contextlib.suppress(subprocess.CalledProcessError):
                    self._ctl(data, "stop")
        shutil.rmtree(self.root, ignore_errors=True)
