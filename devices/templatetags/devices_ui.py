"""Template helpers of the devices pages (no queries beyond the user's cached scope)."""

from types import SimpleNamespace

from django import template

from agencies.access import scope_for
from agencies.choices import Role

register = template.Library()


@register.simple_tag
def devices_nav(user) -> SimpleNamespace:
    """Which sub-navigation links the user gets."""
    scope = scope_for(user)
    return SimpleNamespace(
        is_clerk=bool(scope.role_paths.get(Role.AGENCY_CLERK)),
        is_staff=scope.has_role(
            Role.AGENCY_CLERK, Role.AGENCY_HEAD, Role.PROVINCIAL_OFFICER, Role.CA_OPERATOR
        ),
        is_ca=scope.is_ca,
    )
