"""The Celery application: tasks are adapters around services (docs/processing.md §4)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Every worker writes its heartbeat (config/heartbeats.py; beat's scheduler: settings).
app.steps["worker"].add("config.heartbeats:WorkerHeartbeat")
