"""Real Celery workers and beat (and gunicorn web nodes) as separate processes, on a Redis server
of the test's own, for the tests that kill a worker or stop the broker
(tests/requests_app/test_processing_faults.py, tests/test_health.py).

The processes read the test database (committed rows: transactional tests only) and use the
same CA passphrases and audit key as the tests; the knobs of the stall sweep are passed as environment
variables, exactly as an operator would set them.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
CELERY_APP = "config"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A redis-server on a free loopback port, started and stopped at will."""

    def __init__(self, workdir: Path, *extra: str):
        self.exe = shutil.which("redis-server")
        self.port = free_port()
        self.workdir = workdir
        self.extra = extra  # more arguments: `--replicaof host port`, …
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own binary and arguments
            [self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir), *self.extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def wait_until(predicate, seconds: float, what="waited in vain") -> float:
    """Poll `predicate` until it holds; how many seconds that took. Past `seconds`, an
    AssertionError saying `what` (a callable is called then: `processes.logs`)."""
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < seconds, what() if callable(what) else what
        time.sleep(0.2)
    return time.monotonic() - started


def test_database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def deployed_worker_options() -> list[str]:
    """The `--without-…` options docker-compose.yml's worker is started with."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    return re.findall(r"--without-[a-z]+", services["worker"]["command"])


class CeleryProcesses:
    """Workers and a beat started as `celery -A … worker|beat` processes; all killed at the end."""

    def __init__(self, broker_url: str, workdir: Path, **env):
        self.workdir = workdir
        self.env = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": broker_url,
            "PORTAL_VAR_DIR": str(workdir),
            "CA_KEY_PASSPHRASE": settings.CA_KEY_PASSPHRASE,
            "CA_DEVICE_KEY_PASSPHRASE": settings.CA_DEVICE_KEY_PASSPHRASE,
            "CA_ALLOW_DEV_PASSPHRASE": "0",
            "CA_KEY_STORE": settings.CA_KEY_STORE,
            "CA_HSM_PIN": settings.CA_HSM_PIN,
            "CA_HSM_SO_PIN": settings.CA_HSM_SO_PIN,
            "CA_SUBSCRIBER_KEY_ALGORITHM": settings.CA_SUBSCRIBER_KEY_ALGORITHM,
            "PORTAL_SUBSCRIBER_KEY_STORE": settings.PORTAL_SUBSCRIBER_KEY_STORE,
            "PORTAL_TOKEN_SO_KEY": settings.PORTAL_TOKEN_SO_KEY,
            "PORTAL_TOKEN_PIN_KEY": settings.PORTAL_TOKEN_PIN_KEY,
            "AUDIT_HMAC_KEY": settings.AUDIT_HMAC_KEY,
            "AUDIT_CHECKPOINT_FILE": settings.AUDIT_CHECKPOINT_FILE,
            # No key pool: beat generating RSA keys would only slow the workers under test.
            "CA_KEY_POOL_SIZE": "0",
            **{key: str(value) for key, value in env.items()},
        }
        self.processes: list[subprocess.Popen] = []
        self.log_paths: list[Path] = []

    def _spawn(self, *args: str) -> subprocess.Popen:
        return self._run("celery", "-A", CELERY_APP, *args, "--loglevel=INFO")

    def _run(self, *args: str) -> subprocess.Popen:
        path = self.workdir / f"process-{len(self.processes)}.log"
        self.log_paths.append(path)
        log = open(path, "wb")  # noqa: SIM115
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", *args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def worker(
        self,
        pool: str = "solo",
        queues: tuple[str, ...] = (),
        children: int = 2,
        *,
        as_deployed: bool = False,
    ) -> subprocess.Popen:
        """A worker; `pool="prefork"` runs the tasks in `children` forked children, as
        production; `queues`: only those (`-Q`), as a deployment's worker per kind of work;
        `as_deployed`: with the `--without-…` options of docker-compose.yml's worker, no
        others (otherwise without mingle and gossip: they cost a test a second at start)."""
        concurrency = [f"--concurrency={children}"] if pool == "prefork" else []
        only = ["-Q", ",".join(queues)] if queues else []
        alone = (
            deployed_worker_options() if as_deployed else ["--without-mingle", "--without-gossip"]
        )
        # A node name of its own, as each container's host name gives it: gossip would take
        # two workers of one name for one.
        name = f"--hostname=worker{len(self.processes)}@%h"
        return self._spawn("worker", f"--pool={pool}", *concurrency, *only, *alone, name)

    def beat(self) -> subprocess.Popen:
        return self._spawn("beat", "-s", str(self.workdir / "beat-schedule"))

    def web(self, port: int, workers: int = 1) -> subprocess.Popen:
        """A gunicorn node serving the portal on 127.0.0.1:`port`, as the deployment runs it."""
        return self._run(
            "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers),
        )  # fmt: skip

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        """SIGKILL, as the kernel's OOM killer or a pulled plug would."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def wait_ready(self, workers: int, seconds: float = 60) -> None:
        """Until `workers` of this group's workers have said they are ready (read from their
        whole logs: beat's chatter soon pushes that line out of `logs()`)."""

        def ready() -> int:
            return sum(p.read_text(errors="replace").count(" ready.") for p in self.log_paths)

        wait_until(lambda: ready() >= workers, seconds, self.logs)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in self.workdir.glob("*.log"))

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


class producing_to:  # noqa: N801 - used as a context manager, like a function
    """Make this process's Celery app send its tasks to `url` for the duration."""

    def __init__(self, url: str, **transport_options):
        from config.celery import app

        self.app = app
        self.url = url
        self.transport_options = transport_options

    def _reset(self) -> None:
        # The connection and producer pools were made for the previous URL. They are not
        # closed: kombu keeps them in a registry by URL and would hand a closed one back.
        self.app._pool = None
        self.app.amqp._producer_pool = None

    def __enter__(self):
        self.saved = self.app.conf.broker_url, self.app.conf.broker_transport_options
        self.app.conf.broker_url = self.url
        self.app.conf.broker_transport_options = {
            **self.app.conf.broker_transport_options,
            **self.transport_options,
        }
        self._reset()
        return self.app

    def __exit__(self, *exc):
        self._reset()
        self.app.conf.broker_url, self.app.conf.broker_transport_options = self.saved


def http_get(url: str) -> tuple[int, dict, float]:
    """A JSON answer's status, body and how long it took."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - loopback
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    return status, json.loads(body), time.monotonic() - started


def wait_ready(url: str, node) -> None:
    """Until the web node `node` answers 200 at `url` (it dies: AssertionError)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert node.poll() is None, "the web node died"
        try:
            if http_get(url)[0] == 200:
                return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.2)
    raise AssertionError("the web node never became ready")
