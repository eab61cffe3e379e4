"""The Celery application: tasks are adapters around services (docs/processing.md §4)."""

import os

from celery import Celery
from celery.signals import (
    before_task_publish,
    task_failure,
    task_postrun,
    task_prerun,
    worker_init,
)

from portal.logs import request_id_enter, request_id_exit, request_id_to_headers
from portal.metrics import task_failed, task_finished, task_started, worker_exporter_start

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Every worker writes its heartbeat (config/heartbeats.py; beat's scheduler: settings).
app.steps["worker"].add("config.heartbeats:WorkerHeartbeat")
# A task carries the id of the request that queued it into its logs and audit events.
before_task_publish.connect(request_id_to_headers)
task_prerun.connect(request_id_enter)
task_postrun.connect(request_id_exit)
# Each task's runtime and failures, served by the worker on PORTAL_WORKER_METRICS_PORT.
task_prerun.connect(task_started)
task_postrun.connect(task_finished)
task_failure.connect(task_failed)
worker_init.connect(worker_exporter_start)
