"""Liveness and readiness for a load balancer or an orchestrator (docs/deployment.md, "Health").

Both are django-health-check views, open to anyone (no sign-in, no HTTPS redirect), never cached:
- liveness runs no check: the process answers;
- readiness asks, at once and each within READY_TIMEOUT, the database, the broker, the
  documents' storage, the PKCS#11 module and whether every migration is applied, and answers
  503 when one fails.
The answer names each check and says "ok" or "unavailable", nothing more: hosts, ports and error
texts go to the log (the `health_check` logger), not to whoever asks.
"""

import asyncio
import contextlib
import dataclasses
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views import View
from health_check import checks
from health_check.base import HealthCheck
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView
from redis.asyncio import Redis as RedisClient

from portal.lib.loops import run_outside_event_loop
from portal.lib.pkcs11 import TokenError, module
from portal.lib.redis_clients import async_redis_client

# Each check's budget; django-health-check gives a check one second more to report its own
# error, so a stopped or hung service turns readiness to 503 within 4 s.
READY_TIMEOUT = timedelta(seconds=3)
# Redis: refuse a connection that takes longer, instead of waiting out READY_TIMEOUT.
REDIS_TIMEOUT_SECONDS = 2


class Database(checks.Database):
    timeout = READY_TIMEOUT

    def __repr__(self):
        return "database"


@dataclasses.dataclass
class Storage(checks.Storage):
    """Writes, reads back and deletes a file where documents are kept (config/storage.py: a
    local folder, or the object store, whose bucket holds the exports too)."""

    alias: str = "documents"
    timeout = READY_TIMEOUT

    def __repr__(self):
        return "storage"


def _broker_client() -> RedisClient:
    return async_redis_client(
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS
    )


@dataclasses.dataclass
class Broker(Redis):
    """Celery's broker (and the shared cache): a PING to REDIS_URL."""

    timeout = READY_TIMEOUT

    def __repr__(self):
        return "broker"


@dataclasses.dataclass
class Pkcs11Module(HealthCheck):
    """The PKCS#11 module of the tokens and of the CA's HSM slot loads and lists its slots."""

    timeout = READY_TIMEOUT

    def __repr__(self):
        return "pkcs11"

    def run(self):
        try:
            module().get_slots()
        except (TokenError, OSError, RuntimeError) as error:
            raise ServiceUnavailable("PKCS#11 module") from error


# Databases found fully migrated by this process: migrations are not unapplied under a running
# version, so the migration graph is read once per process, not at every probe.
_migrated: set[str] = set()


@dataclasses.dataclass
class Migrations(HealthCheck):
    """Every migration of this version is applied: a node started before `migrate` finished
    is kept out of the load balancer."""

    alias: str = "default"
    timeout = READY_TIMEOUT

    def __repr__(self):
        return "migrations"

    def run(self):
        if self.alias in _migrated:
            return
        connection = connections[self.alias]
        try:
            with connection.temporary_connection():
                executor = MigrationExecutor(connection)
                plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError as error:
            raise ServiceUnavailable("database") from error
        if plan:
            raise ServiceUnavailable(f"{len(plan)} migrations not applied")
        _migrated.add(self.alias)


def readiness_checks() -> list:
    """What readiness asks; the broker only when it is Redis (`make run`'s file-system broker
    lives in the storage's own directory)."""
    found = [Database, Storage, Pkcs11Module, Migrations]
    if settings.REDIS_URL:
        found.append((Broker, {"client_factory": _broker_client}))
    return found


class HealthView(HealthCheckView):
    """The checks' results as JSON: 200 when all hold, 503 (what load balancers expect of a
    node to leave out) when one fails. A plain view: the checks' own event loop is run by
    `run_outside_event_loop`, not by Django's async adapter, which refuses to start in a thread
    where a loop runs already."""

    @contextlib.contextmanager
    def get_executor(self):
        """The process's few threads for the checks, shared by every probe and not waited for
        once the answer is given: a check stuck on a hung service ends on its own after the
        answer (DATABASE_CONNECT_TIMEOUT), and while the threads are all stuck a probe's checks
        wait in line and time out, so probes never pile up threads."""
        yield _checks_pool

    def dispatch(self, request, *args, **kwargs):
        return View.dispatch(self, request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        results = run_outside_event_loop(self._results())
        failed = any(result.error for result in results)
        response = JsonResponse(
            {
                "status": "unavailable" if failed else "ok",
                "checks": {
                    repr(result.check): "unavailable" if result.error else "ok"
                    for result in results
                },
            },
            status=503 if failed else 200,
        )
        add_never_cache_headers(response)
        return response

    async def _results(self):
        with self.get_executor() as executor:
            return await asyncio.gather(
                *(check.get_result(executor) for check in self.get_checks())
            )


# Enough for two probes' checks at once; created empty, its threads started on first use (after
# gunicorn forks its workers).
_checks_pool = ThreadPoolExecutor(max_workers=10, thread_name_prefix="health")
liveness = HealthView.as_view(checks=[])
readiness = HealthView.as_view(checks=readiness_checks())
