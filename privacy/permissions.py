"""Who may use the privacy pages (the inventory and the incident register, docs/privacy.md):
the data protection officer and administrators; everyone else gets 403."""

from django.core.exceptions import PermissionDenied

from agencies.access import scope_for
from agencies.choices import Role


def may_use_privacy(user) -> bool:
    return scope_for(user).has_role(Role.DATA_PROTECTION_OFFICER)


def require_privacy(user) -> None:
    if not may_use_privacy(user):
        raise PermissionDenied
