"""Template helpers of the base layout."""

from django import template

from agencies.access import scope_for
from agencies.choices import Role

register = template.Library()


@register.simple_tag
def role_labels(user) -> str:
    """The user's roles as one readable line ("Cán bộ đầu mối cơ quan, Thuê bao")."""
    scope = scope_for(user)
    roles = set(scope.roles)
    if scope.is_admin:
        roles.add(Role.ADMINISTRATOR)
    return ", ".join(str(role.label) for role in Role if role in roles)
