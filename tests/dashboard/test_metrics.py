"""/metrics for Prometheus (dashboard/metrics.py, portal/metrics.py, docs/deployment.md
"Metrics"): who may read it, the requests and queries per view, the business figures, the
queue depth and the tasks' runtime and failures, read from the text a scrape gets."""

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from dashboard import metrics as metrics_view
from portal.lib.queueing import enqueue
from portal.models import Deadline
from requests_app.choices import FormKind, Status
from tests import factories as f
from tests.helpers import running_worker, sign_in
from tests.requests_app.letters import letter_at

TOKEN = "metrics-token-of-a-test-0123456789"


@pytest.fixture(autouse=True)
def _counted_now():
    """The business figures are counted at most every COUNT_SECONDS per process: afresh here."""
    metrics_view._figures.counted_at = None


def scrape(client, **headers) -> dict:
    """(name, labels) → value of every sample a scrape returns."""
    response = client.get(reverse("metrics"), **headers)
    assert response.status_code == 200, response.status_code
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


@pytest.mark.django_db
def test_only_the_allowed_addresses_or_the_token_bearer_read_the_metrics(client, settings):
    settings.PORTAL_METRICS_ALLOW = ["192.0.2.0/24"]
    settings.PORTAL_METRICS_TOKEN = TOKEN
    settings.PORTAL_CLIENT_IP_FROM_PROXY = True  # as behind the deployment's TLS proxy
    url = reverse("metrics")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}
    assert client.get(url).status_code == 404  # 127.0.0.1 is not in the list now
    assert client.get(url, REMOTE_ADDR="192.0.2.7").status_code == 200
    # A forwarded address is the client's to write: only the connection's own counts.
    assert client.get(url, HTTP_X_FORWARDED_FOR="192.0.2.7").status_code == 404
    assert client.get(url, secure=True, **bearer).status_code == 200
    assert client.get(url, secure=True, HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert client.get(url, **bearer).status_code == 404  # never a token in clear text
    settings.PORTAL_METRICS_TOKEN = ""
    assert client.get(url, secure=True, HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.django_db
def test_requests_and_database_queries_are_counted_per_view(client, cast):
    sign_in(client, cast.clerk_a)
    view = (
        "django_http_requests_latency_seconds_by_view_method_count",
        (("method", "GET"), ("view", "dashboard")),
    )
    before = scrape(client).get(view, 0)
    queries = sum(
        value for (name, _), value in scrape(client).items() if name == "django_db_execute_total"
    )
    assert client.get(reverse("dashboard")).status_code == 200
    assert client.get(reverse("dashboard")).status_code == 200
    after = scrape(client)
    assert after[view] == before + 2
    assert sum(v for (n, _), v in after.items() if n == "django_db_execute_total") > queries


@pytest.mark.django_db
def test_the_wall_screen_figures_count_letters_deadlines_and_expiring_certificates(client, cast):
    letter_at(cast, Status.PROVINCE_REVIEW)
    letter_at(cast, Status.DRAFT)  # not waiting on anyone
    Deadline.objects.create(
        kind=Deadline.Kind.CA_PROCESSING,
        subject="letter:1",
        due_on=timezone.localdate() - timedelta(days=2),
        state=Deadline.State.OVERDUE,
        actor=Deadline.Actor.CA,
        agency_id=cast.agency_a.pk,
    )
    ending = f.certificate_valid_for(cast)
    ending.not_after = timezone.now() + timedelta(days=10)
    ending.save(update_fields=["not_after"])

    figures = scrape(client)
    waiting = {
        dict(labels)["status"]: value
        for (name, labels), value in figures.items()
        if name == "portal_letters_waiting"
    }
    assert waiting == {Status.PROVINCE_REVIEW: 1}
    assert (
        "portal_letters_waiting",
        (("form", FormKind.ISSUE_PERSON), ("status", "province_review")),
    ) in figures
    assert figures[("portal_deadlines_overdue", (("kind", "ca_processing"),))] == 1
    assert figures[("portal_certificates_expiring", ())] == 1


@pytest.mark.services
def test_a_queued_task_shows_in_the_queue_depth(client, redis_app):
    depth = ("portal_celery_queue_length", (("queue", "bulk"),))  # a sweep: config/queues.py
    assert scrape(client)[depth] == 0
    assert enqueue("portal.tasks.export_jobs_sweep_task", what="a sweep")
    assert scrape(client)[depth] == 1
    redis_app.control.purge()


@pytest.mark.services
def test_the_worker_records_each_task_s_runtime_and_failures(redis_app):
    ran, failed = (
        "portal.tasks.export_jobs_sweep_task",
        "requests_app.tasks.letter_document_render_task",
    )

    def value(name, task):
        return REGISTRY.get_sample_value(name, {"task": task}) or 0

    runs, failures = (
        value("portal_task_seconds_count", ran),
        value("portal_task_failures_total", failed),
    )
    with running_worker(redis_app):
        assert enqueue(ran, what="a sweep")
        assert enqueue(failed, "not a letter's id", what="a bad render")
        deadline = time.monotonic() + 30
        while value("portal_task_failures_total", failed) == failures:
            assert time.monotonic() < deadline, "the failing task was never run"
            time.sleep(0.1)
    assert value("portal_task_seconds_count", ran) == runs + 1
    assert value("portal_task_seconds_count", failed) >= 1
    assert value("portal_task_failures_total", ran) == 0
