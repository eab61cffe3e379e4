"""An event reaches a subscription only when its organisation lies inside the subscription's
subtree (docs/webhooks.md, "Scoping"); the fan-out makes one delivery per event and
subscription, once, whatever runs it again."""

import pytest
from django.db import IntegrityError, transaction

from tests.webhooks.helpers import subscribe
from webhooks.choices import EventType
from webhooks.models import Delivery, Event
from webhooks.services import webhook_event_record, webhook_events_fan_out

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

    assert webhook_events_fan_out() == 1, "the same delivery, found again, not a second one"
    assert Delivery.objects.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(
            event=event, subscription=subscription, next_attempt_at=event.occurred_at
        )


def test_an_event_recorded_twice_under_its_key_is_one_event(cast):
    _event("same", cast.agency_a)
    _event("same", cast.agency_a)
    assert Event.objects.count() == 1
