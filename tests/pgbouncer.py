"""A PgBouncer of the test's own (Debian's `pgbouncer`) in transaction mode, on a free loopback
port in front of the run's PostgreSQL: the portal's processes connect through it as a deployment
behind PgBouncer does (docs/deployment.md, "PgBouncer")."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.celery_processes import free_port

CONFIG = """\
[databases]
* = host={host} port={port} connect_query='SET jit = off'

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen}
unix_socket_dir =
pool_mode = transaction
auth_type = trust
auth_file = {dir}/users.txt
logfile = {dir}/pgbouncer.log
pidfile = {dir}/pgbouncer.pid
default_pool_size = 10
max_client_conn = 200
server_idle_timeout = 5
"""


class PgBouncer:
    def __init__(self, host: str, port: int, user: str):
        self.exe = shutil.which("pgbouncer") or (
            "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
        )
        self.target = (host, port)
        self.user = user
        self.port = free_port()
        self.process = None
        # PgBouncer refuses to run as root: then it runs as `postgres`, which must read this.
        self.dir = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
        self.dir.chmod(0o777)

    def url(self, database: str) -> str:
        return f"postgres://{self.user}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        host, port = self.target
        config = self.dir / "pgbouncer.ini"
        config.write_text(CONFIG.format(host=host, port=port, listen=self.port, dir=self.dir))
        (self.dir / "users.txt").write_text(f'"{self.user}" ""\n')
        as_user = ["-u", "postgres"] if os.geteuid() == 0 else []
        self.process = subprocess.Popen(  # noqa: S603 - Debian's binary, our own arguments
            [self.exe, *as_user, str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            assert self.process.poll() is None, self.log()
            time.sleep(0.05)
        raise AssertionError(f"pgbouncer did not start\n{self.log()}")

    def log(self) -> str:
        path = self.dir / "pgbouncer.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)
