"""Who a reminder tells (docs/bulk.md, "Reminders"): for each agency, the members of a role
at the nearest organisation above it (itself included) that has one — a unit without a clerk
is told through its agency's. Read in one query for a batch's agencies."""

from django.contrib.auth import get_user_model

from agencies.models import Membership


def ancestors(path: str) -> list[int]:
    """The ids on a materialised path ("/1/7/42/"), the organisation itself last."""
    return [int(part) for part in path.strip("/").split("/") if part]


def nearest_members(agencies, role: str) -> dict[int, list]:
    """{agency id: the active users of `role` at the nearest organisation above it, itself
    included, that has any} for each of `agencies` (organisations with `path`); an agency
    without one anywhere above it is left out."""
    agencies = list(agencies)
    wanted = {pk for agency in agencies for pk in ancestors(agency.path)}
    members: dict[int, set[int]] = {}
    for user_id, organization_id in Membership.objects.filter(
        role=role, organization_id__in=wanted, user__is_active=True
    ).values_list("user_id", "organization_id"):
        members.setdefault(organization_id, set()).add(user_id)
    people = get_user_model().objects.in_bulk({pk for ids in members.values() for pk in ids})
    found: dict[int, list] = {}
    for agency in agencies:
        chain = [pk for pk in reversed(ancestors(agency.path)) if members.get(pk)]
        if chain:
            found[agency.pk] = [people[pk] for pk in sorted(members[chain[0]]) if pk in people]
    return found
