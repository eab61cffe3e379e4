from datetime import datetime, timedelta

from agencies.querysets import ScopedQuerySet
from bulk.choices import ACTIVE_STATUSES, ItemStatus, JobStatus
from portal.models import worked_on


class BulkJobQuerySet(ScopedQuerySet):
    """A job is seen by its requester, and by the CA operators and administrators (who
    approve the revocations) everywhere (docs/bulk.md)."""

    scope_path = None
    scope_user = "requested_by"

    def stalled(self, now: datetime, seconds: int):
        """Queued or running without a sign of life for `seconds`, and no worker holding a
        live lease on it: its task was lost, or its worker died. A job a worker is carrying
        out is never stalled, however long its batch takes (docs/bulk.md, "Guarantees")."""
        return self.filter(
            ~worked_on(self.model, now),
            status__in=ACTIVE_STATUSES,
            progress_at__lt=now - timedelta(seconds=seconds),
        )

    def waiting(self):
        return self.filter(status=JobStatus.WAITING_APPROVAL)


class BulkItemQuerySet(ScopedQuerySet):
    scope_through = "job"

    def pending(self):
        return self.filter(status=ItemStatus.PENDING)
