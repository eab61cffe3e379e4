"""Signs of life of the Celery processes (docs/deployment.md, "Health"): a worker bootstep and
beat's schedulers, which write their process's heartbeat every PORTAL_HEARTBEAT_SECONDS
(portal/heartbeats.py). config/celery.py and the settings name them by their dotted paths, so
that this module, which imports the portal's models, is loaded only once Django is set up.

With Redis, beat's scheduler is celery-redbeat's: the schedule lives in Redis and only the beat
holding its lock ticks, so two beats on two hosts run each entry once, and when the active one
dies the other takes the lock over once it expires (docs/deployment.md, "One beat of two").
A Redis outage, of any length, stops its sending and never the process: the lock and the
schedule are taken again once Redis is back (docs/deployment.md, "A broker outage")."""

import logging
import socket
import time

from celery import bootsteps
from celery.beat import PersistentScheduler
from celery.signals import beat_init
from django.conf import settings
from redbeat import RedBeatScheduler
from redbeat.schedulers import LUA_EXTEND_TO_SCRIPT, acquire_distributed_beat_lock, get_redis
from redis import RedisError
from redis.exceptions import LockError

from portal.heartbeats import heartbeat_record
from portal.lib.redis_clients import redis_url_parts
from portal.models import ProcessHeartbeat

logger = logging.getLogger(__name__)

# RedisHeartbeatScheduler takes the lock itself, at its ticks: celery-redbeat's own handler
# would wait for it before the first tick and, with Redis away at that moment, leave the beat
# without a lock to tick with.
beat_init.disconnect(acquire_distributed_beat_lock)


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

    def setup_schedule(self):
        """The schedule written to Redis (at start, and each time the lock is taken: a Redis
        that came back empty has lost it); with Redis away, later."""
        try:
            super().setup_schedule()
        except RedisError as exc:
            logger.warning("beat: Redis unavailable, schedule not written yet (%r)", exc)

    def tick(self, *args, **kwargs):
        """Send what is due while this beat holds the lock; with Redis away (or the lock lost
        meanwhile) send nothing and ask again at the next tick, instead of raising, which
        would end the process."""
        try:
            if not self._holds_lock():
                return self.max_interval
            return super().tick(*args, **kwargs)
        except LockError as exc:
            logger.warning("beat: lock lost (%r); waiting to take it again", exc)
        except RedisError as exc:
            logger.warning("beat: Redis unavailable (%r); sending nothing until it is back", exc)
        self.lock = None
        return self.max_interval

    def _holds_lock(self) -> bool:
        """True while this beat holds the lock (extended at each tick by celery-redbeat's
        `tick`); otherwise ask for it once, without waiting."""
        if self.lock is not None:
            return True
        client = get_redis(self.app)
        lock = client.lock(self.lock_key, timeout=self.lock_timeout, sleep=self.max_interval)
        # celery-redbeat's extension sets the lock's time to live instead of adding to it.
        lock.lua_extend = client.register_script(LUA_EXTEND_TO_SCRIPT)
        if not lock.acquire(blocking=False):
            return False
        logger.info("beat: Acquired lock")
        self.lock = lock
        super().setup_schedule()
        return True

    def close(self):
        """At shutdown, with Redis away: the lock expires by itself."""
        try:
            super().close()
        except RedisError as exc:
            logger.warning("beat: lock not released, Redis unavailable (%r)", exc)
