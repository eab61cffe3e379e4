"""Queueing a task whose intent the database already holds (docs/processing.md §4.4–§4.6):
the row that says what must be done is committed first, then the task is sent. When the broker
cannot be reached the send is given up within about a second and logged; a beat sweep
finds the row and queues it again, so nobody has to click anything, and the person who clicked
is told at once instead of waiting on the broker's timeouts.

The sends go through a producer pool of their own, on connections to the same broker with
short timeouts: a Redis that answers nothing (its host gone, the network cut) costs a send
PUBLISH_TIMEOUT, not the workers' longer ones (config/settings.py), which suit their
consumers' connections and stay theirs."""

import logging
import os

from celery import current_app
from kombu import pools

logger = logging.getLogger(__name__)

# Each connection attempt and each reply waited for at most this long; one more try after a
# short pause: at most about 2 × 0.5 + 0.1 s in all, within the 2 s a click must be answered.
PUBLISH_TIMEOUT = 0.5
RETRY_POLICY = {"max_retries": 1, "interval_start": 0.1, "interval_step": 0, "interval_max": 0.1}
# A producer of the pool waited for at most this long (all taken by other threads).
POOL_WAIT_SECONDS = 0.5

_producer_pools: dict = {}
# A forked process (a worker's child) makes its own: sockets are not shared across a fork.
os.register_at_fork(after_in_child=_producer_pools.clear)


def _producer_pool():
    """This process's producers for the broker the app names now (a test may point it
    elsewhere), made once per broker URL."""
    app = current_app
    key = (app.conf.broker_url, repr(app.conf.broker_transport_options))
    if key not in _producer_pools:
        connection = app.connection_for_write(
            transport_options={
                "socket_connect_timeout": PUBLISH_TIMEOUT,
                "socket_timeout": PUBLISH_TIMEOUT,
            }
        )
        _producer_pools[key] = pools.producers[connection]
    return _producer_pools[key]


def enqueue(name: str, *args, what: str, countdown: float | None = None) -> bool:
    """Send the task registered under `name` with `args` (`countdown`: not before that many
    seconds); False (logged, naming `what`) when the broker cannot be reached. By name, so a
    service never imports its task module: the task imports the service, never the other way
    (docs/architecture.md §1)."""
    try:
        with _producer_pool().acquire(block=True, timeout=POOL_WAIT_SECONDS) as producer:
            current_app.send_task(
                name,
                args=args,
                countdown=countdown,
                producer=producer,
                retry=True,
                retry_policy=RETRY_POLICY,
            )
    except Exception:  # the broker's client raises many kinds: any of them means "not queued"
        logger.warning("%s not queued: broker unreachable", what)
        return False
    return True
