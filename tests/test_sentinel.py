"""Redis behind Sentinel (portal/lib/redis_clients.py, docs/deployment.md "Redis and Sentinel"):
when the master dies and the Sentinels promote its replica, a real worker goes on taking tasks,
the portal goes on queueing them, and the shared cache goes on answering, all through the
Sentinels, with no setting changed (tests/redis_sentinel.py: real redis-server processes)."""

import pytest
from django.core.cache import caches
from redis import RedisError

from portal.lib.queueing import enqueue
from portal.lib.redis_clients import broker_url, sentinel_addresses
from tests.celery_processes import CeleryProcesses, producing_to, wait_until
from tests.helpers import postgresql_only, service_missing
from tests.redis_sentinel import MASTER_NAME, SentinelSet

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

SWEEP = "portal.tasks.export_jobs_sweep_task"
# Sentinels promote within seconds; the goal for the whole portal is 30 s (issue of the drill).
FAILOVER_SECONDS = 30


def cache_answers(cache) -> bool:
    try:
        cache.set("after", 2)
        return cache.get("after") == 2
    except RedisError:
        return False


def test_the_broker_and_the_cache_follow_a_sentinel_failover(tmp_path, settings):
    postgresql_only("a worker process on the test database")
    group = SentinelSet(tmp_path)
    if group.exe is None:
        service_missing("redis-server (Debian package redis-server) for the failover test")
    env = group.env()
    sentinels = sentinel_addresses(env["REDIS_SENTINELS"].split(","))
    settings.REDIS_URL = env["REDIS_URL"]
    settings.REDIS_SENTINELS = sentinels
    settings.REDIS_SENTINEL_MASTER = MASTER_NAME
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env["REDIS_URL"],
            "OPTIONS": {
                "socket_connect_timeout": 1,
                "socket_timeout": 1,
                "pool_class": "portal.lib.redis_clients.SentinelPool",
            },
        },
    }
    cache = caches["throttle"]
    processes = CeleryProcesses(env["REDIS_URL"], tmp_path, **env)

    def sweeps_run() -> int:
        lines = "".join(p.read_text() for p in tmp_path.glob("process-*.log")).splitlines()
        return sum(1 for line in lines if SWEEP in line and "succeeded" in line)

    try:
        group.start()
        processes.worker()
        with producing_to(broker_url(env["REDIS_URL"], sentinels), master_name=MASTER_NAME):
            cache.set("before", 1)
            assert cache.get("before") == 1
            assert enqueue(SWEEP, what="a sweep")
            wait_until(lambda: sweeps_run() == 1, 60, processes.logs)

            assert group.master_port() == group.master.port
            group.master.stop()
            wait_until(lambda: group.master_port() == group.replica.port, FAILOVER_SECONDS)

            wait_until(lambda: enqueue(SWEEP, what="a sweep"), FAILOVER_SECONDS, processes.logs)
            wait_until(lambda: sweeps_run() == 2, 60, processes.logs)
            wait_until(lambda: cache_answers(cache), FAILOVER_SECONDS)
            assert cache.get("before") == 1  # written to the old master, kept by its replica
    finally:
        processes.stop_all()
        group.stop()
