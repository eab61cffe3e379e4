"""Granting a role (docs/approvals.md, "Granting a privileged role"). The audit event is the
membership signal's (`account.role_granted`, agencies/accounts/signals.py), told who granted
it, so a grant is recorded once whichever path makes it."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from agencies.choices import Role
from agencies.models import Membership, Organization
from portal.errors import DomainError


def membership_grant(*, user, role: str, organization: Organization | None, by) -> Membership:
    """Give `user` `role` at `organization` (none for subscribers and administrators), decided
    on the user's locked row: refused when they hold it already or the account is closed."""
    if role not in Role.values:
        raise DomainError(_("Vai trò không hợp lệ."), code="role")
    with transaction.atomic():
        locked = get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        if locked is None or not locked.is_active:
            raise DomainError(_("Tài khoản không còn hoạt động."), code="inactive")
        if Membership.objects.filter(user=locked, role=role, organization=organization).exists():
            raise DomainError(_("Người dùng đã có vai trò này tại cơ quan này."), code="held")
        membership = Membership(user=locked, role=role, organization=organization)
        membership.full_clean()
        membership._audit_actor = by  # the signal's actor (agencies/accounts/signals.py)
        membership.save()
    return membership
