"""The /metrics address for Prometheus (docs/deployment.md, "Metrics"): django-prometheus's
requests, latency per view and database figures, the Celery tasks' runtime, failures and queue
depth (portal/metrics.py), and what a Sở puts on a wall screen: letters waiting at each step,
deadlines overdue, certificates ending within 30 days.

Only for a peer address in PORTAL_METRICS_ALLOW (the connection's own, never a forwarded one,
which the client could write), or over HTTPS with `Authorization: Bearer <PORTAL_METRICS_TOKEN>`
(never in clear text); anyone else gets 404, as for a page that does not exist."""

import hmac
import ipaddress
import time

from django.conf import settings
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import GaugeMetricFamily

from certificates.models import Certificate
from dashboard.counts import EXPIRING_WITHIN_DAYS
from portal.metrics import QueueDepth, registry_with
from portal.models import Deadline
from requests_app.models import CertRequest

# The business figures are counted at most this often per process, whatever the scrape rate.
COUNT_SECONDS = 30


class BusinessFigures:
    def __init__(self):
        self.counted_at = None
        self.families = []

    def collect(self):
        if self.counted_at is None or time.monotonic() - self.counted_at >= COUNT_SECONDS:
            self.families = self.count()
            self.counted_at = time.monotonic()
        yield from self.families

    @staticmethod
    def count() -> list:
        waiting = GaugeMetricFamily(
            "portal_letters_waiting",
            "Letters waiting at a step of the workflow, by step and form.",
            labels=["status", "form"],
        )
        for row in (
            CertRequest.objects.waiting()
            .values("status", "form")
            .annotate(n=Count("pk"))
            .order_by()
        ):
            waiting.add_metric([row["status"], row["form"]], row["n"])
        late = GaugeMetricFamily(
            "portal_deadlines_overdue", "Deadlines past due and not met, by kind.", labels=["kind"]
        )
        for row in Deadline.objects.late().values("kind").annotate(n=Count("pk")).order_by():
            late.add_metric([row["kind"]], row["n"])
        expiring = GaugeMetricFamily(
            "portal_certificates_expiring",
            f"Valid certificates ending within {EXPIRING_WITHIN_DAYS} days.",
            value=Certificate.objects.expiring_within(EXPIRING_WITHIN_DAYS).count(),
        )
        return [waiting, late, expiring]


_figures = BusinessFigures()
_queues = QueueDepth()


def allowed(request) -> bool:
    token = settings.PORTAL_METRICS_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token and given and request.is_secure():
        return hmac.compare_digest(given.encode(), token.encode())
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(peer in ipaddress.ip_network(network) for network in settings.PORTAL_METRICS_ALLOW)


@never_cache
def metrics(request):
    if not allowed(request):
        raise Http404
    page = generate_latest(registry_with(_figures, _queues))
    return HttpResponse(page, content_type=CONTENT_TYPE_LATEST)
