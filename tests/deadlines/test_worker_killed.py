"""On the Redis of REDIS_URL (CI's own), with real worker and beat processes: a worker
SIGKILLed in the middle of the ladder sweep, then a new worker and beat; and two sweeps in two
workers at the same moment. Either way every due notification exists exactly once (the sweep
is one transaction; the key's constraint keeps a rerun or a rival from repeating anything)."""

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
from tests.celery_processes import CeleryProcesses, producing_to
from tests.helpers import postgresql_only
from webhooks.choices import EventType
from webhooks.models import Event

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker(ci_redis_url):
    if connection.vendor != "postgresql":
        postgresql_only("the worker fault tests")
    return ci_redis_url


def _wait(check, what, groups, timeout=90):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what}\n" + "\n".join(g.logs() for g in groups)
        time.sleep(0.1)


def _sweeps_waiting_on_a_lock() -> int:
    """Sweeps held inside their transaction, on a uniqueness key another transaction holds
    uncommitted: at a notification's (the blocker's, or a rival sweep's) or, since the sweep
    records its `certificate.expiring` webhook events first, at an event's, where a second
    sweep waits for the first sweep's uncommitted events (the ON CONFLICT that keeps each
    event once)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND (query LIKE 'INSERT INTO portal_notification%%'"
            "  OR query LIKE 'INSERT INTO webhooks_event%%')"
        )
        return cursor.fetchone()[0]


def _certificates(cast, n=10):
    return [
        f.CertificateFactory(
            agency=cast.agency_a,
            person=cast.subscriber,
            not_after=timezone.now() + timedelta(days=50, hours=i),
        )
        for i in range(n)
    ]


def _blocking(certificate, user):
    """Another transaction holding one of the sweep's keys, uncommitted: a sweep's INSERT
    waits on it, in the middle of the sweep's transaction, until it is rolled back."""
    blocker = psycopg.connect(celery_processes.test_database_url())
    blocker.execute(
        "INSERT INTO portal_notification (user_id, message, url, subject, kind, key, created_at)"
        " VALUES (%s, 'x', '', '', 'renewal', %s, now())",
        [user.pk, f"certificate:{certificate.pk}:renewal:60"],
    )
    return blocker


def _exactly_once(expected: int, events: int) -> None:
    assert Notification.objects.filter(kind="renewal").count() == expected
    assert Notification.objects.values("user", "key").distinct().count() == expected
    expiring = Event.objects.filter(type=EventType.CERTIFICATE_EXPIRING)
    assert expiring.count() == expiring.values("key").distinct().count() == events


def test_a_worker_killed_mid_sweep_then_beat_leaves_every_notification_exactly_once(
    cast, broker, tmp_path
):
    certificates = _certificates(cast)
    expected = 3 * len(certificates)
    blocker = _blocking(certificates[0], cast.clerk_a)
    first = CeleryProcesses(broker, tmp_path / "first")
    second = CeleryProcesses(broker, tmp_path / "second", PORTAL_DEADLINE_SWEEP_SECONDS=1)
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    try:
        doomed = first.worker()
        with producing_to(broker):
            renewal_ladder_sweep_task.delay()
        _wait(_sweeps_waiting_on_a_lock, "the sweep never started", [first])
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
        _exactly_once(expected, len(certificates))
    finally:
        blocker.close()
        first.stop_all()
        second.stop_all()


def test_two_sweeps_in_two_workers_at_once_leave_every_notification_exactly_once(
    cast, broker, tmp_path
):
    certificates = _certificates(cast)
    expected = 3 * len(certificates)
    # Both sweeps are held, so that they run at the same time for certain: the first on the
    # blocker's notification key, the second on the first's uncommitted webhook event keys.
    blocker = _blocking(certificates[0], cast.clerk_a)
    workers = CeleryProcesses(broker, tmp_path)
    try:
        workers.worker()
        workers.worker()
        with producing_to(broker):
            renewal_ladder_sweep_task.delay()
            renewal_ladder_sweep_task.delay()
        _wait(
            lambda: _sweeps_waiting_on_a_lock() >= 2,
            "the two sweeps never ran at the same time",
            [workers],
        )
        blocker.rollback()
        _wait(
            lambda: Notification.objects.filter(kind="renewal").count() >= expected,
            "the sweeps did not finish",
            [workers],
        )
        time.sleep(2)  # both sweeps' transactions have ended
        assert _sweeps_waiting_on_a_lock() == 0
        _exactly_once(expected, len(certificates))
    finally:
        blocker.close()
        workers.stop_all()
