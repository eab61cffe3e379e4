"""Writes of the signed webhooks (docs/webhooks.md): recording events in the outbox, fanning
them out to the subscriptions that may see them, delivering, retrying, dead letters, replay.

Recording is called by the services of the apps above, inside the transaction of their change
(`webhook_event_record`, `webhook_events_record_many`): the event commits or rolls back with
it. Everything after the commit is a task enqueued by name, and a beat sweep queues again
whatever a lost message or a dead worker left behind: the database, not the broker, holds what
must be delivered.
"""

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from portal.audit import audit_record
from portal.audit_batch import AuditEntry, audit_record_many
from portal.lib.queueing import enqueue
from portal.outbox.models import ERROR_LENGTH
from portal.outbox.services import outbox_attempt_record, outbox_claim, outbox_sweep
from webhooks.choices import DeliveryStatus
from webhooks.models import Delivery, DeliveryAttempt, Event, Subscription
from webhooks.sending import Outcome, Poster, body_bytes, signed_headers

FAN_OUT_TASK = "webhooks.tasks.webhook_events_fan_out_task"
SEND_TASK = "webhooks.tasks.webhook_deliveries_send_task"
# Deliveries one task sends, one after the other on a kept-alive connection per receiver: a
# task per delivery spent more time in Celery than in sending (bench/bench_webhooks.py).
CHUNK = 25


@dataclass(frozen=True)
class NewEvent:
    """An event to record: its type (`EventType`), a key unique to what happened (recording
    the same key again records nothing), the organisation it belongs to and its data (ids,
    numbers, statuses: never personal data)."""

    type: str
    key: str
    organization_id: int | None
    data: dict = field(default_factory=dict)
    occurred_at: datetime | None = None


def webhook_event_record(*, type: str, key: str, organization_id: int | None, data: dict) -> None:
    """Record one event in the caller's transaction (one INSERT)."""
    webhook_events_record_many(events=[NewEvent(type, key, organization_id, data)])


def webhook_events_record_many(*, events: Iterable[NewEvent], batch_size: int = 2000) -> int:
    """Record events in the caller's transaction, in one INSERT per `batch_size`; an event
    whose key is already recorded is skipped (a repeated sweep). Once the transaction commits,
    the fan-out is queued. Returns how many were given."""
    now = timezone.now()
    rows = [
        Event(
            type=e.type,
            key=e.key,
            organization_id=e.organization_id,
            data=e.data,
            occurred_at=e.occurred_at or now,
        )
        for e in events
    ]
    if not rows:
        return 0
    Event.objects.bulk_create(rows, ignore_conflicts=True, batch_size=batch_size)
    _fan_out_after_commit()
    return len(rows)


def webhook_events_record_select(*, select: str, params: Sequence) -> int:
    """Record the events a SELECT yields, in one INSERT … SELECT (PostgreSQL; a set-based
    sweep over many rows, docs/scale.md §12.4), skipping keys already recorded. `select` gives
    the columns `type`, `key`, `organization_id` and `data` (jsonb). Returns how many were new."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO webhooks_event (uid, type, key, occurred_at, organization_id, data)"  # noqa: S608
            f" SELECT gen_random_uuid(), s.type, s.key, %s, s.organization_id, s.data FROM ({select}) AS s"
            " ON CONFLICT (key) DO NOTHING",
            [timezone.now(), *params],
        )
        added = cursor.rowcount
    if added:
        _fan_out_after_commit()
    return added


def _fan_out_after_commit() -> None:
    """Queue the fan-out once per transaction, however many events it recorded."""
    if any(hook is _enqueue_fan_out for _ids, hook, _robust in connection.run_on_commit):
        return
    transaction.on_commit(_enqueue_fan_out)


# Whether any subscription is active, as this process last read it, and until when it holds:
# one indexed EXISTS every few seconds instead of one per recorded event.
_ACTIVE_KNOWN = {"until": 0.0, "any": False}
ACTIVE_KNOWN_SECONDS = 10.0


def _any_active_subscription() -> bool:
    now = time.monotonic()
    if now >= _ACTIVE_KNOWN["until"]:
        _ACTIVE_KNOWN["any"] = Subscription.objects.active().exists()
        _ACTIVE_KNOWN["until"] = now + ACTIVE_KNOWN_SECONDS
    return _ACTIVE_KNOWN["any"]


def webhook_subscriptions_changed() -> None:
    """Forget what this process knew of the active subscriptions (read again at next use)."""
    _ACTIVE_KNOWN["until"] = 0.0


def _enqueue_fan_out() -> None:
    """After the commit, only when some subscription is active: a portal nobody subscribes to
    does not wait on the broker at each letter it moves (nor pays the check inside the
    change's transaction). The events are recorded all the same: the outbox stays complete,
    and a subscription saved meanwhile, or in the last seconds in another process, has them
    fanned out by the sweep, at most PORTAL_WEBHOOK_SWEEP_SECONDS late."""
    if _any_active_subscription():
        enqueue(FAN_OUT_TASK, what="webhook fan-out")


def webhook_events_fan_out(*, batch_size: int = 1000) -> int:
    """Give every recorded event not yet fanned out one delivery per subscription that may
    see it; returns the number of deliveries this run made (and queued).

    Concurrent runs share the work (rows locked, skipping those another run holds); the
    unique (event, subscription) constraint makes a repeated run, or a redelivered task, add
    nothing. Each new delivery's send is queued after the commit; one a lost run made before
    is the sweep's to queue again. A new delivery is due now, not when its event happened:
    the sweep takes a delivery for lost only a lease after it was due."""
    made = 0
    while True:
        with transaction.atomic():
            events = list(
                Event.objects.not_fanned_out()
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("organization")
                .order_by("pk")[:batch_size]
            )
            if not events:
                return made
            ids = [event.pk for event in events]
            existing = set(Delivery.objects.filter(event_id__in=ids).values_list("pk", flat=True))
            subscriptions = list(Subscription.objects.active().select_related("organization"))
            now = timezone.now()
            deliveries = [
                Delivery(
                    event=event,
                    subscription=subscription,
                    next_attempt_at=now,
                    dead_after=settings.PORTAL_WEBHOOK_MAX_ATTEMPTS,
                )
                for event in events
                for subscription in subscriptions
                if subscription.reaches(event)
            ]
            if deliveries:
                Delivery.objects.bulk_create(deliveries, ignore_conflicts=True, batch_size=2000)
            Event.objects.filter(pk__in=ids).update(fanned_out_at=now)
            new = [
                pk
                for pk in Delivery.objects.filter(event_id__in=ids)
                .order_by("subscription_id", "pk")
                .values_list("pk", flat=True)
                if pk not in existing
            ]
            if new:
                transaction.on_commit(lambda new=new: _enqueue_sends(new))
            made += len(new)
        if len(events) < batch_size:
            return made


def _enqueue_sends(delivery_ids: Sequence[int]) -> None:
    """Queue the sends by chunks of CHUNK deliveries (given in subscription order, so that a
    chunk mostly goes to one receiver)."""
    for start in range(0, len(delivery_ids), CHUNK):
        chunk = list(delivery_ids[start : start + CHUNK])
        if not enqueue(SEND_TASK, chunk, what=f"webhook deliveries {chunk[0]}…"):
            return  # the broker is away: the sweep queues them again


def webhook_delivery_send(*, delivery_id: int) -> str:
    """`webhook_deliveries_send` for one delivery; what happened to it."""
    return webhook_deliveries_send(delivery_ids=[delivery_id])[delivery_id]


def webhook_deliveries_send(*, delivery_ids: Sequence[int]) -> dict[int, str]:
    """Make one attempt at each due delivery of `delivery_ids`, in order; what happened to
    each ("delivered", "retry", "dead", or "skipped" when it is not due: delivered already,
    dead, waiting for its backoff, or claimed by another worker).

    Each attempt is claimed just before its post, in one short statement (attempts + 1, and
    the next attempt pushed a lease ahead, PORTAL_WEBHOOK_LEASE_SECONDS): two workers never
    make the same attempt, and a worker killed while posting leaves a delivery the sweep
    queues again when the lease runs out. Nothing is locked while a receiver answers. The
    result is written with the attempt's row, unique per (delivery, number). A receiver that
    did not answer (timeout, refused connection) is not posted to again in the same run: its
    further deliveries fail this attempt at once rather than each wait for the timeout."""
    outcomes = dict.fromkeys(delivery_ids, "skipped")
    deliveries = Delivery.objects.select_related(
        "event__organization", "subscription__organization"
    ).in_bulk(delivery_ids)
    down: dict[tuple, str] = {}  # receivers (scheme, host) that did not answer in this run
    with Poster(
        timeout=settings.PORTAL_WEBHOOK_TIMEOUT_SECONDS,
        allow_private=settings.PORTAL_WEBHOOK_ALLOW_PRIVATE,
    ) as poster:
        for pk in delivery_ids:
            delivery = deliveries.get(pk)
            if delivery is None or delivery.status != DeliveryStatus.PENDING:
                continue
            now = timezone.now()
            if not delivery.subscription.covers(delivery.event):
                # The administrator narrowed the subscription (organisation, event types) since
                # the fan-out: the event is no longer its to see, and is never posted.
                outcomes[pk] = _close_out_of_scope(delivery, now=now)
                continue
            # Claimed only as it was read: a delivery another worker attempted (or replayed)
            # since is left to that worker.
            if not outbox_claim(row=delivery, now=now):
                continue
            event, subscription = delivery.event, delivery.subscription
            body = body_bytes(type_=event.type, occurred_at=event.occurred_at, data=event.data)
            headers = signed_headers(
                secret=subscription.secret, message_id=event.message_id, body=body
            )
            origin = urlsplit(subscription.url)[:2]
            if not subscription.is_active:
                # Deactivated after the fan-out (a receiver gone, a secret leaked): nothing
                # more is posted; reactivated, its dead letters can be replayed.
                outcome = Outcome(False, error="not sent: the subscription is deactivated")
            elif origin in down:
                # One timeout per receiver and task, not one per delivery of the chunk.
                outcome = Outcome(False, error=f"not sent: {down[origin]}"[:ERROR_LENGTH])
            else:
                outcome = poster.post(subscription.url, body, headers)
                if outcome.status_code is None:
                    down[origin] = f"the receiver failed this run's previous post ({outcome.error})"
            outcomes[pk] = _record_attempt(delivery, outcome, started_at=now)
    return outcomes


OUT_OF_SCOPE = "not sent: the event is no longer in the subscription's scope"


def _close_out_of_scope(delivery: Delivery, *, now: datetime) -> str:
    """A pending delivery its subscription no longer covers goes to the dead letters without
    a request, with its reason (audited); a replay leaves it there while it stays out of
    scope."""
    closed = Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.DEAD, dead_at=now, last_status_code=None, last_error=OUT_OF_SCOPE
    )
    if not closed:
        return "skipped"
    audit_record(
        actor=None,
        action="webhook_delivery.dead",
        obj=delivery,
        after={"attempts": delivery.attempts, "status_code": None},
        reason=OUT_OF_SCOPE,
    )
    return "dead"


def _record_attempt(delivery: Delivery, outcome: Outcome, *, started_at: datetime) -> str:
    """Delivered, dead (the round's last attempt), or a retry after the doubling backoff
    (portal/outbox/services.py)."""
    return outbox_attempt_record(
        row=delivery, outcome=outcome, started_at=started_at, on_retry=_enqueue_retry
    )


def _enqueue_retry(delivery_id: int, wait: timedelta) -> None:
    """A short wait is queued with its countdown. A longer one is left to the sweep (then
    at most a lease late): Redis hands an unacknowledged countdown task to another worker
    after CELERY_VISIBILITY_TIMEOUT, so hours-long countdowns would be held many times."""
    if wait.total_seconds() > settings.PORTAL_WEBHOOK_LEASE_SECONDS:
        return
    # A little after it is due, so that it is never found early and skipped.
    enqueue(
        SEND_TASK,
        [delivery_id],
        what=f"webhook retry {delivery_id}",
        countdown=wait.total_seconds() + 0.2,
    )


def webhook_deliveries_sweep(*, now: datetime | None = None, limit: int = 10_000) -> dict:
    """Beat's safety net: fan out events whose fan-out message was lost, and queue again
    every pending delivery overdue by more than a lease (its message lost, its worker dead,
    its retry's countdown lost with the broker).

    Each delivery it queues is marked due at `now` before its message goes out (in the same
    statement that picks it): the next sweeps leave it to that message for a lease instead of
    queueing it again every minute, while the send task still finds it due."""
    now = now or timezone.now()
    fanned = webhook_events_fan_out()
    due = outbox_sweep(model=Delivery, now=now, limit=limit, on_due=_enqueue_sends)
    return {"fanned_out": fanned, "queued": len(due)}


def webhook_deliveries_replay(*, deliveries: Iterable[Delivery], by) -> int:
    """Give dead deliveries a new round of PORTAL_WEBHOOK_MAX_ATTEMPTS, starting now; audited.
    Deliveries that are not dead, or whose event their subscription no longer covers, are left
    as they are. Returns how many were replayed."""
    now = timezone.now()
    with transaction.atomic():
        dead = [
            delivery
            for delivery in Delivery.objects.dead()
            .filter(pk__in=[d.pk for d in deliveries])
            .select_related("event__organization", "subscription__organization")
            .select_for_update(of=("self",))
            .order_by("pk")
            # Out of the subscription's scope since (organisation, event types changed): it
            # stays dead rather than go to another agency's receiver.
            if delivery.subscription.covers(delivery.event)
        ]
        for delivery in dead:
            delivery.status = DeliveryStatus.PENDING
            delivery.dead_after = delivery.attempts + settings.PORTAL_WEBHOOK_MAX_ATTEMPTS
            delivery.next_attempt_at = now
            delivery.dead_at = None
            delivery.save(update_fields=["status", "dead_after", "next_attempt_at", "dead_at"])
        audit_record_many(
            actor=by,
            entries=[
                AuditEntry(
                    "webhook_delivery.replay",
                    delivery,
                    before={"status": DeliveryStatus.DEAD, "attempts": delivery.attempts},
                    after={"status": DeliveryStatus.PENDING},
                )
                for delivery in dead
            ],
        )
        ids = [delivery.pk for delivery in dead]
        transaction.on_commit(lambda: _enqueue_sends(ids))
    return len(dead)


def webhook_history_prune(*, now: datetime | None = None, batch_size: int = 2000) -> dict:
    """Delete what ended more than PORTAL_WEBHOOK_KEEP_DAYS ago: delivered and dead deliveries
    with their attempts, then fanned-out events left without any delivery (those nobody
    subscribed to included). A pending delivery and its event are never deleted, whatever
    their age. By batches, each its own transaction. Returns how many of each were deleted."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PORTAL_WEBHOOK_KEEP_DAYS)
    ended = Delivery.objects.filter(
        Q(status=DeliveryStatus.DELIVERED, delivered_at__lt=cutoff)
        | Q(status=DeliveryStatus.DEAD, dead_at__lt=cutoff)
    )
    deleted = {"attempts": 0, "deliveries": 0, "events": 0}
    while ids := list(ended.values_list("pk", flat=True)[:batch_size]):
        with transaction.atomic():
            deleted["attempts"] += DeliveryAttempt.objects.filter(delivery_id__in=ids).delete()[0]
            _count, by_model = Delivery.objects.filter(pk__in=ids).delete()
            deleted["deliveries"] += by_model.get("webhooks.Delivery", 0)
    orphans = Event.objects.filter(fanned_out_at__lt=cutoff, deliveries__isnull=True)
    while ids := list(orphans.values_list("pk", flat=True)[:batch_size]):
        deleted["events"] += Event.objects.filter(pk__in=ids).delete()[0]
    return deleted


def _url_for_the_record(url: str) -> str:
    """The URL without what may carry a credential: user-info (`user:password@`), query string
    (`?token=…`) and fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def subscription_summary(subscription: Subscription) -> dict:
    """What the audit trail keeps of a subscription: never its secret, nor what of its URL may
    carry a credential (user-info, query string)."""
    return {
        "name": subscription.name,
        "url": _url_for_the_record(subscription.url),
        "event_types": list(subscription.event_types),
        "organization": subscription.organization_id,
        "is_active": subscription.is_active,
    }


def webhook_subscription_save(*, subscription: Subscription, by, before: dict | None) -> None:
    """Save a subscription made or changed by an administrator, audited (without its secret)."""
    with transaction.atomic():
        created = subscription.pk is None
        subscription.save()
        transaction.on_commit(webhook_subscriptions_changed)
        audit_record(
            actor=by,
            action="webhook_subscription.create" if created else "webhook_subscription.update",
            obj=subscription,
            before=before,
            after=subscription_summary(subscription),
        )
