"""Reads of merger plans, scoped like every other model (docs/architecture.md §5): a
provincial officer sees the plans of their province, an administrator every plan (and the
province-level ones, which have no province); nobody else sees any."""

from agencies.querysets import NOTHING, ScopedQuerySet
from orgmerge.choices import OPEN_STATUSES


class MergerPlanQuerySet(ScopedQuerySet):
    scope_path = "province__path"

    def ca_sees(self):
        return NOTHING

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)


class PlannedActionQuerySet(ScopedQuerySet):
    scope_through = "plan"
