"""Reads of the webhook tables (docs/webhooks.md)."""

from django.db import models
from django.utils import timezone

from agencies.querysets import ScopedQuerySet
from webhooks.choices import DeliveryStatus


class SubscriptionQuerySet(ScopedQuerySet):
    scope_path = "organization__path"

    def active(self):
        return self.filter(is_active=True)


class EventQuerySet(ScopedQuerySet):
    scope_path = "organization__path"

    def not_fanned_out(self):
        return self.filter(fanned_out_at__isnull=True)


class DeliveryQuerySet(models.QuerySet):
    def due(self, now=None):
        """Pending deliveries whose next attempt is due: new, failed and waiting for their
        backoff, or claimed by a worker that never reported back (its lease ran out)."""
        return self.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=now or timezone.now()
        )

    def dead(self):
        return self.filter(status=DeliveryStatus.DEAD)
