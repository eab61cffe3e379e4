"""Reads of campaigns, registrations and province summaries, scoped like every other model
(docs/architecture.md §5).

A campaign is seen by everyone it asks or who follows it: a nationwide one by every clerk,
head and provincial officer, a province's one by those of that province; the CA and
administrators see all. Registrations are scoped by their agency (a clerk their agency's, an
officer their province's, the CA all); a province's summary by its province.
"""

from django.db.models import Q

from agencies.access import scope_for
from agencies.choices import Role
from agencies.models import Organization
from agencies.querysets import ScopedQuerySet
from demand.choices import RegistrationStatus

ASKED_ROLES = (Role.AGENCY_CLERK, Role.AGENCY_HEAD, Role.PROVINCIAL_OFFICER)


class CampaignQuerySet(ScopedQuerySet):
    scope_path = "province__path"

    def visible_to(self, user):
        scope = scope_for(user)
        if not scope.is_authenticated:
            return self.none()
        if scope.sees_everything:
            return self
        if not scope.has_role(*ASKED_ROLES):
            return self.none()

        provinces = set(scope.province_ids)
        if scope.agency_ids:
            provinces.update(
                Organization.objects.filter(pk__in=scope.agency_ids)
                .exclude(province=None)
                .values_list("province_id", flat=True)
            )
        return self.filter(Q(province__isnull=True) | Q(province_id__in=provinces))

    def open(self):
        return self.filter(closed_at__isnull=True)


class RegistrationQuerySet(ScopedQuerySet):
    scope_path = "agency__path"

    def sent(self):
        return self.filter(status=RegistrationStatus.SENT)


class ProvinceSummaryQuerySet(ScopedQuerySet):
    scope_path = "province__path"


class DemandDocumentQuerySet(ScopedQuerySet):
    """Documents are reached through their registration or summary, already scoped."""

    scope_path = None
