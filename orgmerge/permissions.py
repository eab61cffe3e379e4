"""Who may plan, review and apply a merger, decided in one place (docs/architecture.md §2.9).

A provincial officer plans mergers of agencies and units of their own province; an
administrator plans any (and, later, province-level ones). Only they see plans: the scope
(`MergerPlan.objects.visible_to`) gives 404 to everyone else, this gives 403 to a user who
sees a plan but may not act on it.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from agencies.access import scope_for
from agencies.choices import OrgKind, Role
from portal.errors import DomainError

MERGEABLE_KINDS = {OrgKind.AGENCY, OrgKind.UNIT}


def may_plan_any(user) -> bool:
    scope = scope_for(user)
    return scope.is_admin or Role.PROVINCIAL_OFFICER in scope.roles


def may_plan_for(user, organization) -> bool:
    """Whether `user` may put `organization` (source or target) in a plan."""
    scope = scope_for(user)
    if scope.is_admin:
        return organization.kind in MERGEABLE_KINDS | {OrgKind.MINISTRY, OrgKind.PROVINCE}
    return organization.kind in MERGEABLE_KINDS and scope.holds(
        Role.PROVINCIAL_OFFICER, organization.path
    )


def require_plan_for(user, organizations) -> None:
    if not may_plan_any(user):
        raise PermissionDenied
    for organization in organizations:
        if not organization.is_active:
            raise DomainError(
                _("“%(org)s” đã hết hiệu lực, không thể sáp nhập.") % {"org": organization},
                code="inactive",
            )
        if not may_plan_for(user, organization):
            raise DomainError(
                _("Bạn không được lập phương án sáp nhập cho “%(org)s”.") % {"org": organization},
                code="forbidden",
            )


def may_act(user, plan) -> bool:
    """Whether `user` (who sees the plan) may change, discard or apply it."""
    scope = scope_for(user)
    if scope.is_admin:
        return True
    if plan.province_id is None:
        return False
    return scope.holds(Role.PROVINCIAL_OFFICER, plan.province.path)


def require_act(user, plan) -> None:
    if not may_act(user, plan):
        raise PermissionDenied
