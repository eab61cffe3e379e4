"""Reads of the webhook tables (docs/webhooks.md)."""

from agencies.querysets import ScopedQuerySet
from portal.outbox.querysets import OutboxQuerySet
from webhooks.choices import DeliveryStatus


class SubscriptionQuerySet(ScopedQuerySet):
    scope_path = "organization__path"

    def active(self):
        return self.filter(is_active=True)


class EventQuerySet(ScopedQuerySet):
    scope_path = "organization__path"

    def not_fanned_out(self):
        return self.filter(fanned_out_at__isnull=True)


class DeliveryQuerySet(OutboxQuerySet):
    """`due()` is the outbox's (portal/outbox/querysets.py)."""

    def dead(self):
        return self.filter(status=DeliveryStatus.DEAD)
