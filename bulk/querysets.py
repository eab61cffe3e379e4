from datetime import datetime, timedelta

from agencies.querysets import ScopedQuerySet
from bulk.choices import ACTIVE_STATUSES, ItemStatus, JobStatus


class BulkJobQuerySet(ScopedQuerySet):
    """A job is seen by its requester, and by the CA operators and administrators (who
    approve the revocations) everywhere (docs/bulk.md)."""

    scope_path = None
    scope_user = "requested_by"

    def stalled(self, now: datetime, seconds: int):
        """Queued or running without a sign of life for `seconds`: its task was lost."""
        return self.filter(
            status__in=ACTIVE_STATUSES, progress_at__lt=now - timedelta(seconds=seconds)
        )

    def waiting(self):
        return self.filter(status=JobStatus.WAITING_APPROVAL)


class BulkItemQuerySet(ScopedQuerySet):
    scope_through = "job"

    def pending(self):
        return self.filter(status=ItemStatus.PENDING)
