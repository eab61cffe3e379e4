"""An event reaches a subscription only when its organisation lies inside the subscription's
subtree (docs/webhooks.md, "Scoping"); the fan-out makes one delivery per event and
subscription, once, whatever runs it again."""

import pytest
from django.db import IntegrityError, transaction

from portal.models import AuditEvent
from tests.webhooks.helpers import subscribe
from tests.webhooks.receiver import Receiver
from webhooks.choices import DeliveryStatus, EventType
from webhooks.models import Delivery, Event, new_secret
from webhooks.services import (
    webhook_deliveries_replay,
    webhook_event_record,
    webhook_events_fan_out,
)

pytestmark = pytest.mark.django_db


def _event(key, organization):
    webhook_event_record(
        type=EventType.CERTIFICATE_ISSUED,
        key=key,
        organization_id=organization.pk,
        data={"certificate_id": 1},
    )
    return Event.objects.get(key=key)


def _received(subscription) -> set[str]:
    return set(
        Delivery.objects.filter(subscription=subscription).values_list("event__key", flat=True)
    )


def test_a_subscription_of_agency_a_never_receives_agency_bs_events(cast):
    of_a = subscribe(organization=cast.agency_a)
    of_b = subscribe(organization=cast.agency_b)
    of_province_1 = subscribe(organization=cast.province_1)
    of_province_2 = subscribe(organization=cast.province_2)
    national = subscribe()
    _event("a", cast.agency_a)
    _event("unit-of-a", cast.unit_a)
    _event("b", cast.agency_b)
    _event("c", cast.agency_c)

    assert webhook_events_fan_out() == 3 + 3 + 3 + 2

    assert _received(of_a) == {"a", "unit-of-a"}
    assert _received(of_b) == {"b"}
    assert _received(of_province_1) == {"a", "unit-of-a", "b"}
    assert _received(of_province_2) == {"c"}
    assert _received(national) == {"a", "unit-of-a", "b", "c"}


def test_only_the_wanted_types_and_active_subscriptions_receive(cast):
    letters_only = subscribe(types=[EventType.LETTER_FORWARDED])
    inactive = subscribe(is_active=False)
    everything = subscribe()
    _event("issued", cast.agency_a)

    webhook_events_fan_out()

    assert _received(letters_only) == set()
    assert _received(inactive) == set()
    assert _received(everything) == {"issued"}


def test_a_second_fan_out_adds_nothing_and_the_database_refuses_a_second_delivery(cast):
    subscription = subscribe(organization=cast.agency_a)
    event = _event("a", cast.agency_a)
    assert webhook_events_fan_out() == 1
    Event.objects.filter(pk=event.pk).update(fanned_out_at=None)  # as if its run was lost

    assert webhook_events_fan_out() == 0, "the same delivery, found again, not a second one"
    assert Delivery.objects.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(
            event=event, subscription=subscription, next_attempt_at=event.occurred_at
        )


def test_a_second_fan_out_queues_nothing_again(
    cast, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(
        "webhooks.services.enqueue", lambda name, *args, **kw: queued.append(args) or True
    )
    subscribe(organization=cast.agency_a)
    _event("a", cast.agency_a)
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_events_fan_out() == 1
        _event("b", cast.agency_b)  # nobody's: fanned out to nobody
        assert webhook_events_fan_out() == 0
    assert queued == [([Delivery.objects.get().pk],)]


@pytest.fixture
def _sends(settings):
    settings.PORTAL_WEBHOOK_ALLOW_PRIVATE = True


@pytest.mark.parametrize(
    "narrow",
    [
        lambda s, cast: setattr(s, "organization", cast.agency_b),
        lambda s, cast: setattr(s, "event_types", [EventType.LETTER_FORWARDED]),
    ],
    ids=["organisation", "event types"],
)
def test_a_pending_delivery_out_of_its_narrowed_subscription_is_closed_not_posted(
    cast, narrow, _sends
):
    from webhooks.services import webhook_delivery_send

    secret = new_secret()
    with Receiver(secret) as receiver:
        subscription = subscribe(receiver.url, organization=cast.province_1, secret=secret)
        _event("a", cast.agency_a)
        webhook_events_fan_out()
        narrow(subscription, cast)  # the administrator narrows it after the fan-out
        subscription.save()
        delivery = Delivery.objects.get()
        assert webhook_delivery_send(delivery_id=delivery.pk) == "dead"
    assert receiver.requests == 0, "never posted to the narrowed subscription"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DEAD
    assert "no longer in the subscription's scope" in delivery.last_error
    assert AuditEvent.objects.filter(action="webhook_delivery.dead").count() == 1


def test_a_dead_letter_out_of_its_moved_subscription_is_not_replayed(cast):
    subscription = subscribe(organization=cast.agency_a)
    _event("a", cast.agency_a)
    webhook_events_fan_out()
    Delivery.objects.update(status=DeliveryStatus.DEAD, attempts=10, dead_after=10)
    subscription.organization = cast.agency_b  # moved to another agency's subtree
    subscription.save()

    assert webhook_deliveries_replay(deliveries=Delivery.objects.all(), by=cast.admin) == 0
    assert Delivery.objects.get().status == DeliveryStatus.DEAD
    subscription.organization = cast.province_1  # widened again: the event is its to see
    subscription.save()
    assert webhook_deliveries_replay(deliveries=Delivery.objects.all(), by=cast.admin) == 1


def test_an_event_recorded_twice_under_its_key_is_one_event(cast):
    _event("same", cast.agency_a)
    _event("same", cast.agency_a)
    assert Event.objects.count() == 1
