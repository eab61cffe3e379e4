"""portal.lib.queueing.enqueue: the one way a service sends a task (by its registered name)
whose intent is already in the database; a broker that cannot be reached is a False and a log
line, never an error."""

import logging

import pytest

from portal.lib.queueing import enqueue
from tests.celery_processes import free_port, producing_to

pytestmark = pytest.mark.services

SWEEP = "portal.tasks.import_jobs_sweep_task"


def test_a_task_sent_to_a_broker_that_answers_is_queued(redis_app):
    import redis

    assert enqueue(SWEEP, what="the sweep") is True
    queued = redis.Redis.from_url(redis_app.conf.broker_url).llen("bulk")  # config/queues.py
    assert queued == 1
    redis_app.control.purge()


def test_a_broker_that_cannot_be_reached_gives_false_and_a_log_line(caplog):
    with caplog.at_level(logging.WARNING), producing_to(f"redis://127.0.0.1:{free_port()}/0"):
        assert enqueue(SWEEP, what="import job 7") is False
    assert "import job 7 not queued: broker unreachable" in caplog.text
