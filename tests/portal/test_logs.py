"""Logs as JSON lines carrying the request id, also in the tasks a request queued
(portal/logs.py, docs/deployment.md "Logs")."""

import io
import json
import logging
import time
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db.models import Max
from django.test import Client

from portal.lib.queueing import enqueue
from portal.logs import JsonLines, RequestIdFilter
from portal.middleware import request_context_enter, request_context_exit
from portal.models import AuditEvent
from requests_app.choices import Status
from tests.helpers import sign_in
from tests.requests_app.letters import letter_at, post_action

MISSING = 987654  # the id of a CA that does not exist


class Captured:
    """The JSON lines a logger writes, through the filter and formatter that LOGGING gives the
    console handler (from any thread: the worker's too)."""

    def __init__(self):
        self.stream = io.StringIO()

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]


@contextmanager
def log_lines(logger_name: str = "", level=logging.INFO):
    captured = Captured()
    handler = logging.StreamHandler(captured.stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonLines())
    logger = logging.getLogger(logger_name)
    saved = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield captured
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved)


def test_the_settings_give_the_console_json_lines_with_the_request_id():
    console = settings.LOGGING["handlers"]["console"]
    assert console["formatter"] == "json"  # not DEBUG: the deployment's format
    assert settings.LOGGING["formatters"]["json"]["()"] == "portal.logs.JsonLines"
    assert console["filters"] == ["request_id"]


def test_a_log_line_is_one_json_object_naming_its_request():
    token = request_context_enter("req-42")
    try:
        with log_lines("portal.test") as inside:
            logging.getLogger("portal.test").warning("Đã xử lý %s dòng", 3)
    finally:
        request_context_exit(token)
    with log_lines("portal.test") as outside:
        logging.getLogger("portal.test").warning("ngoài yêu cầu")

    (line,) = inside.lines()
    assert line["message"] == "Đã xử lý 3 dòng"
    assert (line["level"], line["logger"], line["request_id"]) == (
        "WARNING",
        "portal.test",
        "req-42",
    )
    assert {"time", "process"} <= set(line)
    assert outside.lines()[0]["request_id"] == ""


@pytest.mark.django_db
def test_django_request_s_line_about_an_answer_names_the_request(client):
    with log_lines("django.request", logging.WARNING) as captured:
        response = client.get("/khong-co-trang-nay/", HTTP_X_REQUEST_ID="req-404")
        assert response.status_code == 404
        client.get("/khong-co-trang-nay/", {"q": "Nguyễn Văn A"})
    lines = captured.lines()
    assert len(lines) == 2
    assert [(line["message"], line["request_id"]) for line in lines[:1]] == [
        ("Not Found: /khong-co-trang-nay/", "req-404")
    ]
    # The request's address, query string included, is not written: search words stay out.
    assert not [line for line in lines if "request" in line or "Nguyễn" in str(line)]


@pytest.mark.services
@pytest.mark.usefixtures("ca", "redis_worker")
def test_a_task_audits_under_the_id_of_the_request_that_queued_it(cast):
    letter = letter_at(cast, Status.FORWARDED, rows=2, accepted=True)
    client = Client(HTTP_X_REQUEST_ID="req-process-7")
    sign_in(client, cast.ca_operator)
    before = AuditEvent.objects.aggregate(last=Max("seq"))["last"]
    assert post_action(client, letter, "process").status_code == 302
    deadline = time.monotonic() + 60
    while letter.status != Status.DONE:
        assert time.monotonic() < deadline, letter.status
        time.sleep(0.1)
        letter.refresh_from_db()

    # The certificates are issued by the worker, not in the request.
    by_worker = AuditEvent.objects.filter(seq__gt=before, object_type="certificates.certificate")
    assert by_worker.count() >= 2
    assert set(by_worker.values_list("request_id", flat=True)) == {"req-process-7"}


@pytest.mark.services
@pytest.mark.usefixtures("redis_worker")
def test_a_task_logs_under_the_id_of_the_request_that_queued_it():
    """The task warns of a CA that does not exist (certificates/tasks.py), in the worker."""
    token = request_context_enter("req-crl-9")  # as RequestContextMiddleware does
    try:
        with log_lines("certificates.tasks", logging.WARNING) as captured:
            assert enqueue("certificates.tasks.crl_publish_task", MISSING, what="a CRL")
            deadline = time.monotonic() + 30
            while not [line for line in captured.lines() if str(MISSING) in line["message"]]:
                assert time.monotonic() < deadline, "the worker never ran the task"
                time.sleep(0.1)
    finally:
        request_context_exit(token)
    (line,) = [line for line in captured.lines() if str(MISSING) in line["message"]]
    assert line["request_id"] == "req-crl-9"
    assert line["level"] == "WARNING"
