"""Delivering (docs/webhooks.md): signed per Standard Webhooks and verified by a real receiver
on loopback, retried with doubling waits, dead after PORTAL_WEBHOOK_MAX_ATTEMPTS and
replayed by the administrator (audited), never sent again once delivered; only http(s), no
private address unless allowed, no redirect followed."""

import socket
from datetime import timedelta

import pytest
import time_machine
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEvent
from tests.helpers import sign_in
from tests.webhooks.helpers import subscribe
from tests.webhooks.receiver import Receiver
from webhooks.checks import check_lease_outlasts_posts
from webhooks.choices import DeliveryStatus, EventType
from webhooks.forms import SubscriptionForm
from webhooks.models import Delivery, DeliveryAttempt, Subscription, new_secret
from webhooks.sending import Outcome, Poster, address_allowed
from webhooks.services import (
    subscription_summary,
    webhook_deliveries_replay,
    webhook_deliveries_sweep,
    webhook_delivery_send,
    webhook_event_record,
    webhook_events_fan_out,
)
from webhooks.tasks import webhook_deliveries_send_task

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.PORTAL_WEBHOOK_ALLOW_PRIVATE = True  # the receiver is on loopback
    settings.PORTAL_WEBHOOK_TIMEOUT_SECONDS = 2
    settings.PORTAL_WEBHOOK_BACKOFF_SECONDS = 10
    settings.PORTAL_WEBHOOK_MAX_ATTEMPTS = 3
    settings.PORTAL_WEBHOOK_LEASE_SECONDS = 60


def _delivery(cast, url, secret=None) -> Delivery:
    subscribe(url, organization=cast.agency_a, **({"secret": secret} if secret else {}))
    webhook_event_record(
        type=EventType.LETTER_FORWARDED,
        key="cert_request:1:transition:1",
        organization_id=cast.agency_a.pk,
        data={"letter_id": 1, "status": "forwarded"},
    )
    webhook_events_fan_out()
    return Delivery.objects.get()


def test_a_delivery_is_signed_and_the_receiver_verifies_it(cast):
    subscription_secret = new_secret()
    with Receiver(subscription_secret) as receiver:
        delivery = _delivery(cast, receiver.url, secret=subscription_secret)
        assert webhook_delivery_send(delivery_id=delivery.pk) == "delivered"

    assert receiver.rejected == 0
    (body,) = receiver.received
    assert body["type"] == "letter.forwarded"
    assert body["data"] == {"letter_id": 1, "status": "forwarded"}
    assert body["timestamp"].endswith("Z")
    headers = receiver.headers[0]
    assert headers["webhook-id"] == delivery.event.message_id
    assert headers["webhook-signature"].startswith("v1,")
    assert abs(int(headers["webhook-timestamp"]) - timezone.now().timestamp()) < 5
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        DeliveryStatus.DELIVERED,
        1,
        204,
    )


def test_a_wrong_secret_is_rejected_by_the_receiver_and_the_delivery_retried(cast):
    with Receiver(new_secret()) as receiver:  # the receiver knows another secret
        delivery = _delivery(cast, receiver.url)
        assert webhook_delivery_send(delivery_id=delivery.pk) == "retry"
    assert (receiver.requests, receiver.rejected, receiver.received) == (1, 1, [])
    delivery.refresh_from_db()
    assert delivery.last_status_code == 401 and delivery.status == DeliveryStatus.PENDING


def test_a_500_is_retried_after_doubling_waits_then_delivered(cast):
    secret = new_secret()
    with Receiver(secret, fail_first=2) as receiver:
        delivery = _delivery(cast, receiver.url, secret=secret)
        start = timezone.now()
        assert webhook_delivery_send(delivery_id=delivery.pk) == "retry"
        delivery.refresh_from_db()
        assert timedelta(seconds=9) < delivery.next_attempt_at - start < timedelta(seconds=12)
        assert webhook_delivery_send(delivery_id=delivery.pk) == "skipped", "not due yet"

        with time_machine.travel(start + timedelta(seconds=11)):
            assert webhook_delivery_send(delivery_id=delivery.pk) == "retry"
            delivery.refresh_from_db()
            wait = delivery.next_attempt_at - (start + timedelta(seconds=11))
            assert timedelta(seconds=19) < wait < timedelta(seconds=22), "doubled"
        with time_machine.travel(start + timedelta(seconds=33)):
            assert webhook_delivery_send(delivery_id=delivery.pk) == "delivered"

    assert receiver.requests == 3 and receiver.rejected == 0
    assert len(receiver.ids) == 1, "one event, the same webhook-id at every attempt"
    tries = list(delivery.tries.values_list("number", "status_code"))
    assert tries == [(1, 500), (2, 500), (3, 204)]
    assert delivery.tries.first().error == "HTTP 500 Internal Server Error"


def test_a_delivered_delivery_is_never_sent_again(cast):
    secret = new_secret()
    with Receiver(secret) as receiver:
        delivery = _delivery(cast, receiver.url, secret=secret)
        assert webhook_delivery_send(delivery_id=delivery.pk) == "delivered"
        assert webhook_delivery_send(delivery_id=delivery.pk) == "skipped"
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        assert webhook_delivery_send(delivery_id=delivery.pk) == "skipped"
        assert webhook_deliveries_sweep()["queued"] == 0
    assert receiver.requests == 1
    assert delivery.tries.count() == 1


def _dead(cast, receiver) -> Delivery:
    delivery = _delivery(cast, receiver.url, secret=receiver.secret)
    start = timezone.now()
    outcomes = []
    for hop in (0, 11, 33):
        with time_machine.travel(start + timedelta(seconds=hop)):
            outcomes.append(webhook_delivery_send(delivery_id=delivery.pk))
    assert outcomes == ["retry", "retry", "dead"]
    delivery.refresh_from_db()
    return delivery


def test_after_the_last_attempt_the_delivery_is_dead_and_replayed_by_the_admin(cast):
    secret = new_secret()
    with Receiver(secret, status=503) as receiver:
        delivery = _dead(cast, receiver)
        assert delivery.status == DeliveryStatus.DEAD and delivery.dead_at is not None
        assert list(Delivery.objects.dead()) == [delivery]
        assert webhook_delivery_send(delivery_id=delivery.pk) == "skipped", "dead stays dead"
        assert AuditEvent.objects.filter(action="webhook_delivery.dead").count() == 1

        receiver.status = 200  # the receiver is mended
        assert webhook_deliveries_replay(deliveries=[delivery], by=cast.admin) == 1
        assert webhook_delivery_send(delivery_id=delivery.pk) == "delivered"

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.dead_after) == ("delivered", 4, 6)
    replay = AuditEvent.objects.get(action="webhook_delivery.replay")
    assert replay.actor_id == cast.admin.pk and replay.object_id == str(delivery.pk)
    assert len(receiver.ids) == 1


def test_the_admin_sees_the_dead_letters_and_replays_them(cast, client):
    secret = new_secret()
    with Receiver(secret, status=500) as receiver:
        delivery = _dead(cast, receiver)
    sign_in(client, cast.admin)
    url = reverse("admin:webhooks_delivery_changelist")

    listing = client.get(url, {"dead": "1"})
    assert listing.status_code == 200
    assert list(listing.context["cl"].queryset) == [delivery]
    assert (
        client.get(reverse("admin:webhooks_delivery_change", args=[delivery.pk])).status_code == 200
    )
    replayed = client.post(
        url, {"action": "replay", "_selected_action": [delivery.pk]}, follow=True
    )

    assert replayed.redirect_chain == [(url, 302)]
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert AuditEvent.objects.filter(action="webhook_delivery.replay").count() == 1


def test_the_admin_makes_a_subscription_audited_without_its_secret(cast, client):
    sign_in(client, cast.admin)
    response = client.post(
        reverse("admin:webhooks_subscription_add"),
        {
            "name": "Hệ thống QLVB tỉnh",
            "url": "https://qlvb.laichau.gov.vn/hooks",
            "event_types": [EventType.LETTER_FORWARDED, EventType.CERTIFICATE_ISSUED],
            "organization": cast.province_1.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    subscription = Subscription.objects.get()
    assert subscription.secret.startswith("whsec_")
    event = AuditEvent.objects.get(action="webhook_subscription.create")
    assert subscription.secret not in str(event.after)
    page = client.get(reverse("admin:webhooks_subscription_change", args=[subscription.pk]))
    assert subscription.secret in page.content.decode(), "shown to hand to the receiver"
    client.post(
        reverse("admin:webhooks_subscription_change", args=[subscription.pk]),
        {"name": subscription.name, "url": subscription.url, "event_types": ["letter.returned"]},
    )
    update = AuditEvent.objects.get(action="webhook_subscription.update")
    assert update.before["is_active"] is True and update.after["is_active"] is False
    assert update.after["event_types"] == ["letter.returned"]


def test_the_audit_trail_keeps_no_credential_of_a_subscriptions_url(cast):
    subscription = subscribe("https://portal:s3cret@qlvb.gov.vn:8443/hooks?token=abc123#x")
    summary = subscription_summary(subscription)
    assert summary["url"] == "https://qlvb.gov.vn:8443/hooks"
    assert "s3cret" not in str(summary) and "abc123" not in str(summary)


@pytest.mark.parametrize("url", ["ftp://example.gov.vn/x", "file:///etc/passwd", "javascript:x"])
def test_only_http_and_https_urls_are_accepted(url, cast):
    form = SubscriptionForm(data={"name": "x", "url": url, "event_types": ["letter.forwarded"]})
    assert not form.is_valid() and "url" in form.errors


@pytest.mark.parametrize("url", ["http://qlvb.gov.vn:99999/x", "https://qlvb.gov.vn:0/x"])
def test_a_url_with_an_impossible_port_is_refused_by_the_form(url, cast):
    form = SubscriptionForm(data={"name": "x", "url": url, "event_types": ["letter.forwarded"]})
    assert not form.is_valid()
    assert "Cổng (port)" in str(form.errors["url"])


def test_a_delivery_to_an_impossible_port_is_a_failed_attempt_not_a_crash(cast):
    delivery = _delivery(cast, "http://127.0.0.1:99999/hooks")
    assert webhook_delivery_send(delivery_id=delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert delivery.tries.count() == 1 and "port" in delivery.last_error


def test_a_name_resolving_to_loopback_is_refused_on_the_connected_address(
    cast, settings, monkeypatch
):
    settings.PORTAL_WEBHOOK_ALLOW_PRIVATE = False
    real_getaddrinfo = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host == "qlvb.example.gov.vn":
            host = "127.0.0.1"  # a public-looking name that resolves to loopback
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    secret = new_secret()
    with Receiver(secret) as receiver:
        port = receiver.server.server_address[1]
        delivery = _delivery(cast, f"http://qlvb.example.gov.vn:{port}/hooks", secret=secret)
        assert webhook_delivery_send(delivery_id=delivery.pk) == "retry"
    assert receiver.requests == 0, "refused once connected, before anything was sent"
    delivery.refresh_from_db()
    assert "private or loopback address refused: 127.0.0.1" in delivery.last_error


def test_a_loopback_or_private_receiver_is_refused_unless_the_setting_allows_it(cast, settings):
    settings.PORTAL_WEBHOOK_ALLOW_PRIVATE = False
    secret = new_secret()
    with Receiver(secret) as receiver:
        delivery = _delivery(cast, receiver.url, secret=secret)
        assert webhook_delivery_send(delivery_id=delivery.pk) == "retry"
    assert receiver.requests == 0, "refused before anything was sent"
    delivery.refresh_from_db()
    assert "private or loopback address refused: 127.0.0.1" in delivery.last_error
    for address in ("10.1.2.3", "192.168.1.1", "169.254.169.254", "::1", "::ffff:127.0.0.1"):
        assert not address_allowed(address, allow_private=False), address
    assert address_allowed("203.113.131.1", allow_private=False)


def test_a_redirect_is_a_failure_and_is_not_followed(cast):
    secret = new_secret()
    with Receiver(secret, status=302) as receiver:
        delivery = _delivery(cast, receiver.url, secret=secret)
        assert webhook_delivery_send(delivery_id=delivery.pk) == "retry"
    assert receiver.requests == 1
    delivery.refresh_from_db()
    assert delivery.last_status_code == 302


def test_a_receiver_that_does_not_answer_in_time_is_a_failure(cast, settings):
    settings.PORTAL_WEBHOOK_TIMEOUT_SECONDS = 1
    secret = new_secret()
    with Receiver(secret, delay=3) as receiver:
        delivery = _delivery(cast, receiver.url, secret=secret)
        assert webhook_delivery_send(delivery_id=delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert delivery.last_status_code is None and "timed out" in delivery.last_error


def test_the_send_task_run_again_on_its_chunk_sends_nothing_again(cast):
    secret = new_secret()
    with Receiver(secret) as receiver:
        subscribe(receiver.url, organization=cast.agency_a, secret=secret)
        for n in range(3):
            webhook_event_record(
                type=EventType.CERTIFICATE_REVOKED,
                key=f"certificate:{n}:revoked",
                organization_id=cast.agency_a.pk,
                data={"certificate_id": n},
            )
        webhook_events_fan_out()
        chunk = list(Delivery.objects.order_by("pk").values_list("pk", flat=True))

        first = webhook_deliveries_send_task(chunk)
        again = webhook_deliveries_send_task(chunk)  # a redelivered message

    assert set(first.values()) == {"delivered"} and set(again.values()) == {"skipped"}
    assert receiver.requests == 3 and len(receiver.ids) == 3


def test_a_delivery_page_in_the_admin_is_read_only(cast, client):
    secret = new_secret()
    with Receiver(secret) as receiver:
        delivery = _delivery(cast, receiver.url, secret=secret)
        webhook_delivery_send(delivery_id=delivery.pk)
    sign_in(client, cast.admin)
    url = reverse("admin:webhooks_delivery_change", args=[delivery.pk])

    page = client.get(url)
    assert page.status_code == 200 and not page.context["has_change_permission"]
    assert "204" in page.content.decode(), "its attempts are shown"
    assert client.post(url, {"status": "dead"}).status_code == 403


def test_the_sweep_queues_again_a_delivery_whose_worker_never_reported_back(
    cast, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(
        "webhooks.services.enqueue", lambda name, *args, **kw: sent.append((name, args)) or True
    )
    delivery = _delivery(cast, "http://127.0.0.1:9/hooks")
    now = timezone.now()
    claimed = Delivery.objects.filter(pk=delivery.pk)
    claimed.update(attempts=1, next_attempt_at=now + timedelta(seconds=60))  # a worker's lease
    assert webhook_deliveries_sweep(now=now + timedelta(seconds=90))["queued"] == 0, "lease holds"

    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_deliveries_sweep(now=now + timedelta(seconds=121))["queued"] == 1
    assert sent == [("webhooks.tasks.webhook_deliveries_send_task", ([delivery.pk],))]


def test_a_long_backoff_is_left_to_the_sweep_and_a_short_one_queued_with_its_countdown(
    cast, settings, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(
        "webhooks.services.enqueue", lambda name, *args, **kw: sent.append(kw) or True
    )
    with (
        Receiver(new_secret(), status=500) as receiver,
        django_capture_on_commit_callbacks(execute=True),
    ):
        delivery = _delivery(cast, receiver.url, secret=receiver.secret)
        webhook_delivery_send(delivery_id=delivery.pk)  # waits 10 s: queued
        settings.PORTAL_WEBHOOK_BACKOFF_SECONDS = 100  # longer than the lease (60 s)
        with time_machine.travel(timezone.now() + timedelta(seconds=11)):
            webhook_delivery_send(delivery_id=delivery.pk)  # waits 200 s: the sweep's
    assert [kw["countdown"] for kw in sent if "countdown" in kw] == [10.2]


def test_a_receiver_that_timed_out_is_not_waited_for_again_in_the_same_run(cast, settings):
    settings.PORTAL_WEBHOOK_TIMEOUT_SECONDS = 1
    secret = new_secret()
    with Receiver(secret, delay=3) as receiver:
        subscribe(receiver.url, organization=cast.agency_a, secret=secret)
        for n in range(3):
            webhook_event_record(
                type=EventType.CERTIFICATE_REVOKED,
                key=f"certificate:{n}:revoked",
                organization_id=cast.agency_a.pk,
                data={"certificate_id": n},
            )
        webhook_events_fan_out()
        chunk = list(Delivery.objects.order_by("pk").values_list("pk", flat=True))
        outcomes = webhook_deliveries_send_task(chunk)

    assert set(outcomes.values()) == {"retry"}
    assert receiver.requests == 1, "one timeout, not three"
    attempts = list(
        DeliveryAttempt.objects.order_by("delivery_id").values_list("error", "duration_ms")
    )
    assert "timed out" in attempts[0][0] and attempts[0][1] >= 900, "waited out the timeout"
    # The others did not wait at all (timed by their attempts, not by the test's clock, which
    # a busy machine stretches).
    assert [(e.startswith("not sent: the receiver failed"), ms) for e, ms in attempts[1:]] == [
        (True, 0),
        (True, 0),
    ]


def test_the_sweep_does_not_queue_again_what_it_just_queued(
    cast, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(
        "webhooks.services.enqueue", lambda name, *args, **kw: queued.extend(args[:1]) or True
    )
    long_ago = timezone.now() - timedelta(minutes=30)  # a backlog: events recorded long ago
    with time_machine.travel(long_ago, tick=False):
        subscribe(organization=cast.agency_a)
        webhook_event_record(
            type=EventType.LETTER_FORWARDED,
            key="cert_request:1:transition:1",
            organization_id=cast.agency_a.pk,
            data={},
        )
    with django_capture_on_commit_callbacks(execute=True):
        webhook_events_fan_out()
        assert webhook_deliveries_sweep()["queued"] == 0, "just queued by the fan-out"
        later = timezone.now() + timedelta(seconds=61)  # the fan-out's message was lost
        assert webhook_deliveries_sweep(now=later)["queued"] == 1
        assert webhook_deliveries_sweep(now=later + timedelta(seconds=1))["queued"] == 0
        assert webhook_deliveries_sweep(now=later + timedelta(seconds=30))["queued"] == 0
        assert webhook_deliveries_sweep(now=later + timedelta(seconds=61))["queued"] == 1
    assert len(queued) == 3


def test_a_success_is_recorded_even_if_another_worker_claimed_a_further_attempt(cast, monkeypatch):
    delivery = _delivery(cast, "http://127.0.0.1:9/hooks")

    def slow_post(self, url, body, headers):
        # The post outlasted its lease: another worker claimed attempt 2 meanwhile.
        Delivery.objects.filter(pk=delivery.pk).update(attempts=F("attempts") + 1)
        return Outcome(True, status_code=204)

    monkeypatch.setattr(Poster, "post", slow_post)
    assert webhook_delivery_send(delivery_id=delivery.pk) == "delivered"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED, "the receiver has it: not sent again"


def test_the_lease_must_outlast_two_timeouts(settings):
    settings.PORTAL_WEBHOOK_TIMEOUT_SECONDS = 10
    settings.PORTAL_WEBHOOK_LEASE_SECONDS = 3
    assert [e.id for e in check_lease_outlasts_posts(None)] == ["webhooks.E001"]
    settings.PORTAL_WEBHOOK_LEASE_SECONDS = 20
    assert check_lease_outlasts_posts(None) == []


def test_nothing_is_posted_for_a_subscription_deactivated_after_the_fan_out(cast):
    secret = new_secret()
    with Receiver(secret) as receiver:
        delivery = _delivery(cast, receiver.url, secret=secret)
        Subscription.objects.update(is_active=False)
        assert webhook_delivery_send(delivery_id=delivery.pk) == "retry"
    assert receiver.requests == 0
    delivery.refresh_from_db()
    assert delivery.last_error == "not sent: the subscription is deactivated"
