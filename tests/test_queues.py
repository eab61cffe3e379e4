"""A queue per kind of work (config/queues.py, docs/deployment.md "Queues"): tasks land in
their kind's Redis list, and a worker started on the interactive queue alone runs what a clerk
waits for while the bulk work stays queued for the bulk workers."""

import pytest
import redis

from portal.lib.queueing import enqueue
from tests.celery_processes import CeleryProcesses, producing_to, wait_until
from tests.helpers import postgresql_only

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

MISSING = 987654  # no such letter: the task has nothing to do, and says so quickly


def test_an_interactive_worker_runs_interactive_work_while_bulk_work_waits(tmp_path, own_redis):
    postgresql_only("a worker process on the test database")
    queued = redis.Redis.from_url(own_redis.url)
    with producing_to(own_redis.url):
        assert enqueue("portal.tasks.export_jobs_sweep_task", what="a sweep")
        assert enqueue("requests_app.tasks.letter_document_render_task", MISSING, what="a PDF")
        assert enqueue("requests_app.tasks.letter_archive_extend_task", MISSING, what="proofs")
    lengths = {name: queued.llen(name) for name in ("interactive", "documents", "bulk", "ca")}
    assert lengths == {"interactive": 1, "documents": 1, "bulk": 1, "ca": 0}

    processes = CeleryProcesses(own_redis.url, tmp_path)
    try:
        processes.worker(queues=("interactive",))
        wait_until(lambda: queued.llen("interactive") == 0, 30, processes.logs)
        wait_until(lambda: "letter_archive_extend_task" in processes.logs(), 10, processes.logs)
    finally:
        processes.stop_all()
    assert (queued.llen("documents"), queued.llen("bulk")) == (1, 1)  # not this worker's
