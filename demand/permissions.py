"""Who may do what in a demand campaign, decided in one place (docs/architecture.md §2.9).
Scope (`visible_to`) gives 404; these give 403 to a user who sees the thing but may not act.

- open a campaign: the CA (nationwide) and a provincial officer (their province's agencies);
- follow a campaign (who answered, totals, reminders): the CA, and the officers of the
  province asked (every province's officers for a nationwide campaign, each for their own);
- fill in the agency's table: its clerks and heads; sign and send it: its heads;
- send the province's summary: the province's officers.
"""

from django.core.exceptions import PermissionDenied

from agencies.access import scope_for
from agencies.choices import OrgKind, Role


def may_open(user) -> bool:
    scope = scope_for(user)
    return scope.sees_everything or Role.PROVINCIAL_OFFICER in scope.roles


def may_open_nationwide(user) -> bool:
    return scope_for(user).sees_everything


def follows(user, campaign) -> bool:
    scope = scope_for(user)
    if scope.sees_everything:
        return True
    if Role.PROVINCIAL_OFFICER not in scope.roles:
        return False
    return campaign.is_nationwide or campaign.province_id in scope.province_ids


def followed_provinces(user, campaign) -> list[int] | None:
    """The provinces whose agencies `user` follows in `campaign`: None for all (the CA)."""
    scope = scope_for(user)
    if scope.sees_everything:
        return None
    if campaign.province_id is not None:
        return [campaign.province_id]
    return sorted(scope.province_ids)


def may_fill(user, agency) -> bool:
    scope = scope_for(user)
    return scope.holds(Role.AGENCY_CLERK, agency.path) or scope.holds(Role.AGENCY_HEAD, agency.path)


def may_sign(user, agency) -> bool:
    return scope_for(user).holds(Role.AGENCY_HEAD, agency.path)


def may_send_summary(user, province) -> bool:
    return province.kind == OrgKind.PROVINCE and scope_for(user).holds(
        Role.PROVINCIAL_OFFICER, province.path
    )


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied
