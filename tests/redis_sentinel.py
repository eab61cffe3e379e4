"""A Redis master, its replica and three Sentinels of the test's own on loopback (Debian's
redis-server, in Sentinel mode for the three), for the failover tests (tests/test_sentinel.py).
The Sentinels notice a silent master after 1 s and two of them must agree, as in
deploy/cluster/redis/sentinel.conf but faster."""

import subprocess
import time
from pathlib import Path

import redis

from tests.celery_processes import RedisServer, free_port

MASTER_NAME = "portal"


class SentinelSet:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.master = RedisServer(workdir, "--repl-diskless-sync-delay", "0")
        self.replica = RedisServer(
            workdir, "--replicaof", "127.0.0.1", str(self.master.port), "--replica-read-only", "yes"
        )
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.sentinels: list[subprocess.Popen] = []

    @property
    def exe(self):
        return self.master.exe

    def start(self) -> None:
        self.master.start()
        self.replica.start()
        replica = redis.Redis(port=self.replica.port, socket_timeout=2)
        deadline = time.monotonic() + 20
        while replica.info("replication")["master_link_status"] != "up":
            assert time.monotonic() < deadline, "the Redis replica never caught up"
            time.sleep(0.1)
        for port in self.sentinel_ports:
            conf = self.workdir / f"sentinel-{port}.conf"
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {self.workdir}\n"
                f"sentinel monitor {MASTER_NAME} 127.0.0.1 {self.master.port} 2\n"
                f"sentinel down-after-milliseconds {MASTER_NAME} 1000\n"
                f"sentinel failover-timeout {MASTER_NAME} 5000\n"
            )
            self.sentinels.append(
                subprocess.Popen(  # noqa: S603 - our own binary and arguments
                    [self.exe, str(conf), "--sentinel"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        # Each Sentinel knows the replica and the two others before a failover can happen.
        deadline = time.monotonic() + 30
        while not all(self._ready(port) for port in self.sentinel_ports):
            assert time.monotonic() < deadline, "the Sentinels never found each other"
            time.sleep(0.2)

    def _ready(self, port: int) -> bool:
        try:
            info = redis.Redis(port=port, socket_timeout=1).sentinel_master(MASTER_NAME)
        except redis.RedisError:
            return False
        return info["num-slaves"] >= 1 and info["num-other-sentinels"] >= 2

    def master_port(self) -> int:
        host_port = redis.Redis(port=self.sentinel_ports[0], socket_timeout=1).execute_command(
            "SENTINEL", "get-master-addr-by-name", MASTER_NAME
        )
        return int(host_port[1])

    def env(self) -> dict[str, str]:
        """The portal's settings: REDIS_URL's host is ignored behind Sentinel."""
        return {
            "REDIS_URL": "redis://sentinel-named-master/0",
            "REDIS_SENTINELS": ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports),
            "REDIS_SENTINEL_MASTER": MASTER_NAME,
        }

    def stop(self) -> None:
        for process in self.sentinels:
            process.kill()
            process.wait()
        self.replica.stop()
        self.master.stop()
