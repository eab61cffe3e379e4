"""Granting a role or the superuser flag (docs/approvals.md, "Granting a privileged role or
the superuser flag"). The audit events are the signals' (`account.role_granted`,
`account.flags_changed`, agencies/accounts/signals.py), told who granted it, so a grant is
recorded once whichever path makes it."""

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


def superuser_grant(*, user, by):
    """Make `user` a superuser (every right of the portal and its admin), decided on the
    user's locked row: refused when they are one already or the account is closed."""
    with transaction.atomic():
        locked = get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        if locked is None or not locked.is_active:
            raise DomainError(_("Tài khoản không còn hoạt động."), code="inactive")
        if locked.is_superuser:
            raise DomainError(_("Người dùng đã có quyền superuser."), code="held")
        locked.is_superuser = True
        locked._audit_actor = by  # the signal's actor (agencies/accounts/signals.py)
        locked.save(update_fields=["is_superuser"])
    return locked
