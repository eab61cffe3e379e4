"""A Redis outage under running workers and beat (docs/deployment.md, "A broker outage"):
redis-server of the test's own is stopped for longer than the outage that once made the
interactive worker and the active beat exit, while the worker holds an unacknowledged task, and
started again. Nobody restarts a process by hand: each rides it out and carries on."""

import json
import time
from datetime import datetime

import psycopg
import pytest

from requests_app.choices import Status
from tests import celery_processes
from tests.celery_processes import CeleryProcesses, producing_to, wait_until
from tests.helpers import lock_waiters, postgresql_only, sign_in
from tests.requests_app.letters import letter_at, post_action

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

OUTAGE_SECONDS = 25  # the outage that made them exit lasted 20 s
SWEEP = "requests-resume-stalled"


class RowLock:
    """The letter's row locked FOR UPDATE by another session, so that the worker processing it
    waits inside its task, holding the message unacknowledged, until `release`."""

    def __init__(self, cert_request_id: int):
        self.conn = psycopg.connect(celery_processes.test_database_url(), autocommit=False)
        self.conn.execute(
            "SELECT id FROM requests_app_certrequest WHERE id = %s FOR UPDATE", [cert_request_id]
        )

    def release(self) -> None:
        if not self.conn.closed:
            self.conn.rollback()
            self.conn.close()


def _logged_after(log, moment: float, *texts: str) -> int:
    """How many of the process's JSON log lines after `moment` (time.time()) contain `texts`."""
    count = 0
    for line in log.read_text(errors="replace").splitlines():
        if not line.startswith("{") or not all(text in line for text in texts):
            continue
        record = json.loads(line)
        logged = datetime.strptime(record["time"], "%Y-%m-%d %H:%M:%S,%f").timestamp()
        count += logged > moment
    return count


def _sweeps_after(log, moment: float) -> int:
    """How many times beat sent the stall sweep after `moment`."""
    return _logged_after(log, moment, f"Sending due task {SWEEP} ")


def test_workers_and_beat_ride_out_a_broker_outage_and_carry_on(tmp_path, own_redis, cast, client):
    postgresql_only("worker and beat processes on the test database")
    held = letter_at(cast, Status.FORWARDED, rows=1, accepted=True)
    sign_in(client, cast.ca_operator)
    with producing_to(own_redis.url):
        post_action(client, held, "process")

    processes = CeleryProcesses(
        own_redis.url, tmp_path, PORTAL_PROCESSING_SWEEP_SECONDS=2, PORTAL_HEARTBEAT_SECONDS=2
    )
    lock = RowLock(held.pk)
    try:
        interactive = processes.worker(pool="prefork", queues=("interactive",), as_deployed=True)
        bulk = processes.worker(pool="prefork", queues=("bulk",), children=1, as_deployed=True)
        beat = processes.beat()
        beat_log = tmp_path / "process-2.log"
        wait_until(lambda: lock_waiters("%requests_app_certrequest%") >= 1, 60, processes.logs)
        wait_until(lambda: _sweeps_after(beat_log, 0) >= 1, 60, processes.logs)

        own_redis.stop()
        time.sleep(OUTAGE_SECONDS / 2)
        lock.release()  # the task ends while the broker is away: its ack is lost with it
        time.sleep(OUTAGE_SECONDS / 2)
        own_redis.start()
        back = time.time()

        # Redis came back empty (no persistence here): the schedule is written again.
        wait_until(lambda: _sweeps_after(beat_log, back) >= 2, 60, processes.logs)
        ran = ("cert_request_resume_stalled_task[", "] succeeded")
        bulk_log = tmp_path / "process-1.log"
        wait_until(lambda: _logged_after(bulk_log, back, *ran) >= 1, 30, processes.logs)
        alive = [p.poll() is None for p in (interactive, bulk, beat)]
        assert alive == [True, True, True], processes.logs()
        with producing_to(own_redis.url):
            later = letter_at(cast, Status.FORWARDED, rows=1, accepted=True)
            post_action(client, later, "process")

        def done(letter):
            letter.refresh_from_db()
            return letter.status == Status.DONE

        wait_until(lambda: done(held) and done(later), 90, processes.logs)
        alive = [p.poll() is None for p in (interactive, bulk, beat)]
        assert alive == [True, True, True], processes.logs()
    finally:
        lock.release()
        processes.stop_all()
