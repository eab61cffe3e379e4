"""Prometheus metrics of the background work (docs/deployment.md, "Metrics"): each task's
runtime and failures, recorded in the worker by Celery's signals (config/celery.py connects
them), and the depth of the broker's queues, read at each scrape.

With several processes on a node (gunicorn's workers, a prefork worker's children), set
PROMETHEUS_MULTIPROC_DIR: every process writes its figures there and a scrape adds them up."""

import os
import time

import prometheus_client
from celery import current_app
from django.conf import settings
from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.core import GaugeMetricFamily
from redis import RedisError

from portal.lib.redis_clients import redis_client

TASK_SECONDS = Histogram(
    "portal_task_seconds",
    "Runtime of Celery tasks, by task.",
    ["task"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, float("inf")),
)
TASK_FAILURES = Counter("portal_task_failures", "Celery tasks that raised, by task.", ["task"])


def task_started(task=None, **kwargs):
    """task_prerun: the start, kept on the task's own request, which postrun sees."""
    if task is not None:
        task.request.portal_started = time.monotonic()


def task_finished(task=None, **kwargs):
    """task_postrun: the runtime, failed or not."""
    started = getattr(task.request, "portal_started", None) if task is not None else None
    if started is not None:
        TASK_SECONDS.labels(task=task.name).observe(time.monotonic() - started)


def task_failed(sender=None, **kwargs):
    """task_failure."""
    if sender is not None:
        TASK_FAILURES.labels(task=sender.name).inc()


class QueueDepth:
    """Messages waiting in each of the broker's queues (Redis lists named after the queues),
    read when Prometheus scrapes; nothing when the broker is not Redis (`make run`)."""

    def collect(self):
        family = GaugeMetricFamily(
            "portal_celery_queue_length", "Messages waiting in a Celery queue.", labels=["queue"]
        )
        if settings.REDIS_URL:
            client = redis_client(socket_connect_timeout=1, socket_timeout=1)
            try:
                for queue in queue_names():
                    family.add_metric([queue], client.llen(queue))
            except RedisError:
                pass  # the broker's absence is readiness's to report, not a failed scrape
            finally:
                client.close()
        yield family


def queue_names() -> list[str]:
    """The queues the app declares, and its default one."""
    conf = current_app.conf
    return sorted({conf.task_default_queue, *(queue.name for queue in conf.task_queues or [])})


class _ThisProcess:
    """The process's own registry (a single process: `make run`, the tests, a solo worker)."""

    def collect(self):
        yield from prometheus_client.REGISTRY.collect()


def registry_with(*collectors) -> CollectorRegistry:
    """A registry for one scrape: every process's figures (the multiprocess directory) or
    this process's, and `collectors` computed now."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    for collector in collectors:
        registry.register(collector)
    return registry


def worker_exporter_start(**kwargs):
    """worker_init: the worker's own figures on PORTAL_WORKER_METRICS_PORT (0: not served),
    in a thread of its main process; with PROMETHEUS_MULTIPROC_DIR, its children's too."""
    if settings.PORTAL_WORKER_METRICS_PORT:
        prometheus_client.start_http_server(
            settings.PORTAL_WORKER_METRICS_PORT,
            addr=settings.PORTAL_WORKER_METRICS_ADDRESS,
            registry=registry_with(),
        )
