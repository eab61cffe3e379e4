"""Who is told what in a campaign: the clerks and heads of a set of agencies (asked, reminded),
the links that take each of them to their agency's table (docs/domain.md §11)."""

from django.contrib.auth import get_user_model
from django.urls import reverse

from agencies.choices import Role

STAFF = (Role.AGENCY_CLERK, Role.AGENCY_HEAD)


def staff_of(agencies, roles=STAFF):
    """The active users holding one of `roles` in any of `agencies` (ids or a queryset)."""
    return (
        get_user_model()
        .objects.filter(
            memberships__role__in=roles, memberships__organization__in=agencies, is_active=True
        )
        .distinct()
    )


def table_url(campaign_id: int, agency_id: int | None = None) -> str:
    """The campaign's page; with an agency, the one its people follow to their table (the
    page sends whoever only fills a table there, keeping the agency)."""
    url = reverse("demand:campaign", args=[campaign_id])
    return f"{url}?co_quan={agency_id}" if agency_id else url
