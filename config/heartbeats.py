"""Signs of life of the Celery processes (docs/deployment.md, "Health"): a worker bootstep and
beat's schedulers, which write their process's heartbeat every PORTAL_HEARTBEAT_SECONDS
(portal/heartbeats.py). config/celery.py and the settings name them by their dotted paths, so
that this module, which imports the portal's models, is loaded only once Django is set up.

With Redis, beat's scheduler is celery-redbeat's: the schedule lives in Redis and only the beat
holding its lock ticks, so two beats on two hosts run each entry once, and when the active one
dies the other takes the lock over once it expires (docs/deployment.md, "One beat of two")."""

import socket
import time

from celery import bootsteps
from celery.beat import PersistentScheduler
from django.conf import settings
from redbeat import RedBeatScheduler

from portal.heartbeats import heartbeat_record
from portal.lib.redis_clients import redis_url_parts
from portal.models import ProcessHeartbeat


class WorkerHeartbeat(bootsteps.StartStopStep):
    """On the worker's own timer: in the consumer's event loop, so a worker whose loop is stuck
    stops beating even while its process lives."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.timer_entry = None

    def start(self, worker):
        beat = {"kind": ProcessHeartbeat.Kind.WORKER, "name": worker.hostname}
        heartbeat_record(**beat)
        self.timer_entry = worker.timer.call_repeatedly(
            settings.PORTAL_HEARTBEAT_SECONDS, heartbeat_record, kwargs=beat
        )

    def stop(self, worker):
        if self.timer_entry is not None:
            self.timer_entry.cancel()


class _Beating:
    """A scheduler that also beats at least every PORTAL_HEARTBEAT_SECONDS between its ticks:
    only while it ticks (a beat waiting for the lock does not)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.name = f"beat@{socket.gethostname()}"
        self.beaten_at = None

    def tick(self, *args, **kwargs):
        # The schedule first: celery-redbeat extends its lock there, which a slow heartbeat
        # must not delay.
        due_in = super().tick(*args, **kwargs)
        every = settings.PORTAL_HEARTBEAT_SECONDS
        if self.beaten_at is None or time.monotonic() - self.beaten_at >= every:
            heartbeat_record(kind=ProcessHeartbeat.Kind.BEAT, name=self.name)
            self.beaten_at = time.monotonic()
        return min(due_in, every)


class HeartbeatScheduler(_Beating, PersistentScheduler):
    """Celery's own scheduler, its schedule in a file: one beat only (`make run`)."""

    # celery-redbeat, once imported, asks every starting beat's scheduler for its lock:
    # this one has none.
    lock_key = None


class RedisHeartbeatScheduler(_Beating, RedBeatScheduler):
    """celery-redbeat's scheduler: the schedule and a lock in Redis, for beats on several
    hosts. Its settings are given here, under the names it looks for among the configuration's
    keys (the Django settings' CELERY_ prefix hides them from it)."""

    def __init__(self, app, *args, **kwargs):
        options = {"socket_connect_timeout": 3, "socket_timeout": 10}
        url = settings.REDIS_URL
        if settings.REDIS_SENTINELS:  # redbeat's own way to Sentinel's master
            database, password = redis_url_parts(url)
            url = "redis-sentinel://"
            options |= {
                "sentinels": settings.REDIS_SENTINELS,
                "service_name": settings.REDIS_SENTINEL_MASTER,
                "db": database,
                "password": password,
                "sentinel_kwargs": {"socket_connect_timeout": 3, "socket_timeout": 10},
            }
        app.conf.update(
            redbeat_redis_url=url,
            redbeat_redis_options=options,
            redbeat_lock_timeout=settings.PORTAL_BEAT_LOCK_SECONDS,
        )
        super().__init__(app, *args, **kwargs)
