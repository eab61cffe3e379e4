"""A worker SIGKILLed in the middle of the ladder sweep, then a new worker and beat: every due
notification exists exactly once (the sweep is one transaction; the key's constraint keeps
the rerun from repeating anything)."""

import time
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from certificates.tasks import renewal_ladder_sweep_task
from portal.models import Notification
from tests import celery_processes
from tests import factories as f
from tests.celery_processes import CeleryProcesses, RedisServer, producing_to
from tests.helpers import service_missing

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_server(tmp_path):
    if connection.vendor != "postgresql":
        service_missing("PostgreSQL (DATABASE_URL=postgres://…) for the worker fault tests")
    server = RedisServer(tmp_path)
    if server.exe is None:
        service_missing("redis-server (Debian package redis-server) for the broker fault tests")
    server.start()
    yield server
    server.stop()


def _wait(check, what, groups, timeout=90):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what}\n" + "\n".join(g.logs() for g in groups)
        time.sleep(0.1)


def _sweep_waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND query LIKE 'INSERT INTO portal_notification%%'"
        )
        return cursor.fetchone()[0] > 0


def test_a_worker_killed_mid_sweep_then_beat_leaves_every_notification_exactly_once(
    cast, redis_server, tmp_path
):
    certificates = [
        f.CertificateFactory(
            agency=cast.agency_a,
            person=cast.subscriber,
            not_after=timezone.now() + timedelta(days=50, hours=i),
        )
        for i in range(10)
    ]
    expected = 3 * len(certificates)
    # Another transaction holds one of the sweep's keys, uncommitted: the sweep's INSERT waits
    # on it, in the middle of its transaction, when the worker is killed.
    blocker = psycopg.connect(celery_processes.test_database_url())
    blocker.execute(
        "INSERT INTO portal_notification (user_id, message, url, subject, kind, key, created_at)"
        " VALUES (%s, 'x', '', '', 'renewal', %s, now())",
        [cast.clerk_a.pk, f"certificate:{certificates[0].pk}:renewal:60"],
    )
    first = CeleryProcesses(redis_server.url, tmp_path / "first")
    second = CeleryProcesses(redis_server.url, tmp_path / "second", PORTAL_DEADLINE_SWEEP_SECONDS=1)
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    try:
        doomed = first.worker()
        with producing_to(redis_server.url):
            renewal_ladder_sweep_task.delay()
        _wait(_sweep_waiting_on_a_lock, "the sweep never started", [first])
        first.kill(doomed)
        blocker.rollback()
        assert Notification.objects.count() == 0  # the killed sweep's transaction left nothing

        second.worker()
        second.beat()
        _wait(
            lambda: Notification.objects.filter(kind="renewal").count() >= expected,
            "beat's sweep did not catch up",
            [first, second],
        )
        time.sleep(3)  # a few more beat runs
        assert Notification.objects.filter(kind="renewal").count() == expected
        assert Notification.objects.values("user", "key").distinct().count() == expected
    finally:
        blocker.close()
        first.stop_all()
        second.stop_all()
