from datetime import datetime, timedelta

from django.db.models.functions import Coalesce

from agencies.querysets import ScopedQuerySet
from approvals.choices import OPEN_STATUSES, ApprovalStatus
from portal.models import worked_on


class ApprovalQuerySet(ScopedQuerySet):
    """Requests are seen by the CA operators and administrators everywhere, by an organisation's
    staff for its organisations, and by their requester and decider."""

    scope_path = "organization__path"
    scope_user = "requested_by"

    def pending(self):
        return self.filter(status=ApprovalStatus.PENDING)

    def due_to_expire(self, now: datetime):
        return self.filter(status=ApprovalStatus.PENDING, expires_at__lte=now)

    def run_stalled(self, now: datetime, seconds: int):
        """Approved but not carried out `seconds` after its last attempt was claimed, or after
        the approval when none was, and no worker holding a live lease on it: its task was
        lost, its worker died, or its action raised. A run still working is never taken for
        stalled, however long its action takes (docs/approvals.md, "A run that keeps
        failing")."""
        return self.alias(run_since=Coalesce("run_claimed_at", "decided_at")).filter(
            ~worked_on(self.model, now),
            status=ApprovalStatus.APPROVED,
            run_since__lte=now - timedelta(seconds=seconds),
        )

    def requested_by(self, user):
        return self.filter(requested_by=user)

    def open_for(self, object_key: str):
        """The request holding `object_key` (pending, or approved and being carried out)."""
        return self.filter(object_key=object_key, status__in=OPEN_STATUSES)

    def open_for_any(self, pks):
        """Of the requests `pks`, those still open."""
        return self.filter(pk__in=list(pks), status__in=OPEN_STATUSES)
