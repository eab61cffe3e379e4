"""Log lines as JSON, one object per line, each carrying the id of the request it belongs to —
also in the Celery tasks that request queued (docs/deployment.md, "Logs").

The request id is RequestContextMiddleware's (the proxy's X-Request-ID, or a fresh one). When a
request queues a task, `before_task_publish` puts the id in the message's headers; the worker
sets it around the task's run, so the task's log lines and the audit events it records name
the click that caused them. config/celery.py connects the three receivers."""

import logging

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from portal.middleware import current_request_context, request_context_enter, request_context_exit

HEADER = "portal_request_id"


class RequestIdFilter(logging.Filter):
    """Gives every record the current request id ("" outside a request or a task it queued)."""

    def filter(self, record):
        # django.request logs a 4xx or 5xx answer once the middleware has returned: the id is
        # then read from the request it hands the record.
        record.request_id = current_request_context()["request_id"] or getattr(
            getattr(record, "request", None), "request_id", ""
        )
        return True


class JsonLines(JsonFormatter):
    """time, level, logger, process, message, request_id (and the exception, if any), as one
    JSON object per line; Vietnamese text stays readable (no ASCII escapes). The request that
    django.request hands its records is left out: its address would carry the query string,
    search words included."""

    def __init__(self, *args, **kwargs):
        super().__init__(
            "{asctime}{levelname}{name}{processName}{message}{request_id}",
            style="{",
            rename_fields={
                "asctime": "time",
                "levelname": "level",
                "name": "logger",
                "processName": "process",
            },
            json_ensure_ascii=False,
            reserved_attrs=[*RESERVED_ATTRS, "request"],
        )


def request_id_to_headers(headers=None, **kwargs):
    """before_task_publish: the publishing request's id travels with the task."""
    request_id = current_request_context()["request_id"]
    if request_id and headers is not None:
        headers.setdefault(HEADER, request_id)


def request_id_enter(task=None, **kwargs):
    """task_prerun: the task runs under the id of the request that queued it, if any. The
    context's token is kept on the task's own request, which postrun sees."""
    request_id = getattr(task.request, HEADER, None) if task is not None else None
    if request_id:
        task.request.portal_context = request_context_enter(request_id)


def request_id_exit(task=None, **kwargs):
    """task_postrun: back to the context the task started in."""
    token = getattr(task.request, "portal_context", None) if task is not None else None
    if token is not None:
        request_context_exit(token)
