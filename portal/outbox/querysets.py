"""Reads of an outbox (portal/outbox/__init__.py)."""

from django.db import models
from django.utils import timezone

# The status of a row still to be attempted: the same value in every outbox.
PENDING = "pending"


class OutboxQuerySet(models.QuerySet):
    def due(self, now=None):
        """Pending rows whose next attempt is due: new, failed and waiting out their backoff,
        or claimed by a worker that never reported back (its lease ran out)."""
        return self.filter(status=PENDING, next_attempt_at__lte=now or timezone.now())
