"""The webhook history does not grow without end (docs/webhooks.md, "Keeping"): what ended
more than PORTAL_WEBHOOK_KEEP_DAYS ago is deleted by beat, never a pending delivery or its
event."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from config.queues import BULK, ROUTES
from tests.webhooks.helpers import subscribe
from webhooks.choices import DeliveryStatus, EventType
from webhooks.models import Delivery, DeliveryAttempt, Event
from webhooks.services import webhook_event_record, webhook_events_fan_out, webhook_history_prune

pytestmark = pytest.mark.django_db


def _event(key, organization):
    webhook_event_record(
        type=EventType.CERTIFICATE_ISSUED, key=key, organization_id=organization.pk, data={}
    )


def test_history_older_than_the_keep_days_is_deleted_and_pending_work_kept(cast, settings):
    settings.PORTAL_WEBHOOK_KEEP_DAYS = 30
    subscribe(organization=cast.agency_a)
    for key in ("delivered-old", "dead-old", "delivered-recent", "pending-old"):
        _event(key, cast.agency_a)
    _event("nobodys-old", cast.agency_b)  # no subscription sees it
    webhook_events_fan_out()
    _event("not-fanned-out", cast.agency_b)
    now = timezone.now()
    old, recent = now - timedelta(days=31), now - timedelta(days=29)
    Event.objects.exclude(key="not-fanned-out").update(fanned_out_at=old)
    Event.objects.filter(key="not-fanned-out").update(occurred_at=old)
    by_key = {d.event.key: d for d in Delivery.objects.select_related("event")}
    for key, status, at in [
        ("delivered-old", DeliveryStatus.DELIVERED, old),
        ("dead-old", DeliveryStatus.DEAD, old),
        ("delivered-recent", DeliveryStatus.DELIVERED, recent),
    ]:
        Delivery.objects.filter(pk=by_key[key].pk).update(
            status=status, delivered_at=at, dead_at=at, attempts=1
        )
        DeliveryAttempt.objects.create(delivery=by_key[key], number=1, started_at=at)
    Delivery.objects.filter(pk=by_key["pending-old"].pk).update(next_attempt_at=old)

    assert webhook_history_prune() == {"attempts": 2, "deliveries": 2, "events": 3}

    assert set(Event.objects.values_list("key", flat=True)) == {
        "delivered-recent",
        "pending-old",
        "not-fanned-out",
    }
    assert set(Delivery.objects.values_list("event__key", flat=True)) == {
        "delivered-recent",
        "pending-old",
    }
    assert webhook_history_prune() == {"attempts": 0, "deliveries": 0, "events": 0}


def test_the_prune_runs_daily_on_the_bulk_queue():
    entry = django_settings.CELERY_BEAT_SCHEDULE["webhooks-prune"]
    assert entry["task"] == "webhooks.tasks.webhook_history_prune_task"
    assert ROUTES[entry["task"]] == {"queue": BULK}
