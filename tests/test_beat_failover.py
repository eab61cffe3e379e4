"""Two beats, one schedule (config/heartbeats.py, docs/deployment.md "One beat of two"): two
`celery beat` processes on a Redis of the test's own, with the deployment's lock settings; only
the one holding the lock sends, and when it is killed the other takes over within 30 s, sending
each entry once per interval: no tick doubled, and the ticks go on."""

import itertools
import json
import time
from datetime import datetime

import pytest

from tests.celery_processes import CeleryProcesses, wait_until
from tests.helpers import postgresql_only

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

TAKEOVER_SECONDS = 30  # docs/deployment.md, "One beat of two": at most 20 s + 5 s
ENTRY = "requests-resume-stalled"  # every PORTAL_PROCESSING_SWEEP_SECONDS


def sends(log) -> list[datetime]:
    """When this beat sent ENTRY, from its JSON log lines."""
    found = []
    for line in log.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        record = json.loads(line)
        if record["message"].startswith(f"Scheduler: Sending due task {ENTRY} "):
            found.append(datetime.strptime(record["time"], "%Y-%m-%d %H:%M:%S,%f"))
    return found


def test_the_other_beat_takes_over_within_30_s_and_no_tick_is_doubled(tmp_path, own_redis):
    postgresql_only("beat processes on the test database")
    processes = CeleryProcesses(own_redis.url, tmp_path, PORTAL_PROCESSING_SWEEP_SECONDS=2)
    logs = [tmp_path / "process-0.log", tmp_path / "process-1.log"]
    try:
        first = processes.beat()
        wait_until(lambda: len(sends(logs[0])) >= 2, 60)
        processes.beat()
        time.sleep(6)  # the second beat started and waits for the lock
        assert sends(logs[1]) == [], "two beats sent at once"
        before = len(sends(logs[0]))
        assert before >= 4  # the first went on sending meanwhile

        processes.kill(first)
        took = wait_until(lambda: sends(logs[1]), TAKEOVER_SECONDS + 5)
        assert took <= TAKEOVER_SECONDS, f"the second beat took {took:.1f} s"
        wait_until(lambda: len(sends(logs[1])) >= 3, 20)  # and it goes on
    except AssertionError:
        print(processes.logs())
        raise
    finally:
        processes.stop_all()

    every = sorted(sends(logs[0]) + sends(logs[1]))
    gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(every)]
    assert min(gaps) >= 1.5, f"an entry of every 2 s was sent twice: gaps {gaps}"
