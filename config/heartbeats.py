"""Signs of life of the Celery processes (docs/deployment.md, "Health"): a worker bootstep and a
beat scheduler that write their process's heartbeat every PORTAL_HEARTBEAT_SECONDS
(portal/heartbeats.py). config/celery.py names both by their dotted paths, so that this module,
which imports the portal's models, is loaded only once Django is set up."""

import socket
import time

from celery import bootsteps
from celery.beat import PersistentScheduler
from django.conf import settings

from portal.heartbeats import heartbeat_record
from portal.models import ProcessHeartbeat


class WorkerHeartbeat(bootsteps.StartStopStep):
    """On the worker's own timer: in the consumer's event loop, so a worker whose loop is stuck
    stops beating even while its process lives."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.timer_entry = None

    def start(self, worker):
        beat = (ProcessHeartbeat.WORKER, worker.hostname)
        heartbeat_record(*beat)
        self.timer_entry = worker.timer.call_repeatedly(
            settings.PORTAL_HEARTBEAT_SECONDS, heartbeat_record, beat
        )

    def stop(self, worker):
        if self.timer_entry is not None:
            self.timer_entry.cancel()


class HeartbeatScheduler(PersistentScheduler):
    """Celery's own scheduler (the schedule file), which also beats at least every
    PORTAL_HEARTBEAT_SECONDS between its ticks."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.name = f"beat@{socket.gethostname()}"
        self.beaten_at = None

    def tick(self, *args, **kwargs):
        every = settings.PORTAL_HEARTBEAT_SECONDS
        if self.beaten_at is None or time.monotonic() - self.beaten_at >= every:
            heartbeat_record(ProcessHeartbeat.BEAT, self.name)
            self.beaten_at = time.monotonic()
        return min(super().tick(*args, **kwargs), every)
