from datetime import datetime, timedelta

from agencies.querysets import ScopedQuerySet
from approvals.choices import OPEN_STATUSES
from bulk.choices import ACTIVE_STATUSES, ItemStatus, JobStatus
from portal.models import worked_on


class BulkJobQuerySet(ScopedQuerySet):
    """A job is seen by its requester, and by the CA operators (who approve the revocations)
    and administrators everywhere (docs/bulk.md)."""

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

    def awaiting_approval(self, register: str, object_ids):
        """(object id, approval id) of the items among `object_ids` of `register` whose job
        waits for an open approval request: the request holds them (docs/approvals.md)."""
        return self.filter(
            object_id__in=list(object_ids),
            job__register=register,
            job__status=JobStatus.WAITING_APPROVAL,
            job__approval__status__in=OPEN_STATUSES,
        ).values_list("object_id", "job__approval_id")
