"""A worker killed in the middle of a delivery (SIGKILL, as the OOM killer or a pulled plug
would) still delivers each event: the delivery it had claimed waits out its lease, the beat's
sweep queues it again and the next worker sends it; the receiver, which deduplicates by
`webhook-id`, keeps each event once (docs/webhooks.md, "Delivery guarantees").

Real `celery worker` and `celery beat` processes on a redis-server of the test's own
(tests/celery_processes.py), a real receiver on loopback verifying every signature."""

import time

import pytest
from django.db import transaction

from tests.celery_processes import CeleryProcesses, RedisServer, producing_to, wait_until
from tests.helpers import postgresql_only, service_missing
from tests.webhooks.helpers import subscribe
from tests.webhooks.receiver import Receiver
from webhooks.choices import DeliveryStatus, EventType
from webhooks.models import Delivery, Event, new_secret
from webhooks.services import NewEvent, webhook_events_record_many

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

EVENTS = 4
KNOBS = {
    "PORTAL_WEBHOOK_ALLOW_PRIVATE": "1",
    "PORTAL_WEBHOOK_TIMEOUT_SECONDS": "10",
    "PORTAL_WEBHOOK_LEASE_SECONDS": "3",
    "PORTAL_WEBHOOK_SWEEP_SECONDS": "1",
    "PORTAL_WEBHOOK_BACKOFF_SECONDS": "1",
}


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    if server.exe is None:
        service_missing("redis-server (Debian package redis-server) for the worker kill test")
    server.start()
    yield server
    server.stop()


def test_a_worker_killed_mid_delivery_still_delivers_each_event(redis_server, tmp_path):
    postgresql_only("worker processes on the test database")
    secret = new_secret()
    first = CeleryProcesses(redis_server.url, tmp_path, **KNOBS)
    second = CeleryProcesses(redis_server.url, tmp_path, **KNOBS)
    # Each answer is held back: the worker is killed while the receiver holds the first.
    with Receiver(secret, delay=1.5) as receiver:
        subscribe(receiver.url, secret=secret)
        try:
            doomed = first.worker()
            with producing_to(redis_server.url), transaction.atomic():
                webhook_events_record_many(
                    events=[
                        NewEvent(EventType.CERTIFICATE_ISSUED, f"certificate:{n}:issued", None,
                                 {"certificate_id": n})
                        for n in range(1, EVENTS + 1)
                    ]
                )  # fmt: skip
            wait_until(lambda: receiver.requests >= 1, 60, first.logs)
            first.kill(doomed)
            in_flight = Delivery.objects.get(attempts=1)
            assert in_flight.status == DeliveryStatus.PENDING, "killed before it could record"
            assert not in_flight.tries.exists()
            assert Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 0

            second.worker()
            second.beat()
            delivered = Delivery.objects.filter(status=DeliveryStatus.DELIVERED)
            wait_until(lambda: delivered.count() == EVENTS, 90, second.logs)
        finally:
            first.stop_all()
            second.stop_all()
        time.sleep(2)  # the killed worker's request, answered late, lands too

    assert receiver.rejected == 0, "every signature verified"
    assert set(receiver.ids) == {event.message_id for event in Event.objects.all()}
    assert len(receiver.ids) == EVENTS, "each event kept once, however often it came"
    in_flight.refresh_from_db()
    assert in_flight.attempts == 2, "claimed again after the kill"
    assert list(in_flight.tries.values_list("number", "status_code")) == [(2, 204)]
