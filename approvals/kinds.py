"""The approval kinds of the accounts, on the floor below (docs/approvals.md): resetting a
user's second factor, granting a privileged role, and granting the superuser flag (a role
grant too: its object is the user's flag); and this app's own, a rule's change. Registered
when the app is ready (`ApprovalsConfig.ready`); the admin pages that request them are
`approvals.account_admin` and `approvals.admin`."""

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext as _

from agencies.accounts.twofactor import two_factor_reset
from agencies.choices import Role
from agencies.models import Organization
from agencies.services import membership_grant, superuser_grant
from approvals.choices import ApprovalAction
from approvals.registry import ApprovalKind, approval_kind_register
from approvals.services import RULE_OBJECT_TYPE, approval_rule_change_apply
from portal.errors import DomainError

# The type of the objects of a superuser grant ("superuser:<user id>").
SUPERUSER = "superuser"


def _user(approval):
    user = get_user_model().objects.filter(pk=approval.params.get("user_id")).first()
    if user is None:
        raise DomainError(_("Tài khoản không còn tồn tại."), code="gone")
    return user


def _reset_two_factor(approval, requester, approver) -> str:
    user = _user(approval)
    two_factor_reset(user=user, by=requester)
    return _(
        "Đã đặt lại xác thực hai lớp của %(user)s; cấp mã đăng ký mới cho người dùng trong "
        "trang quản trị."
    ) % {"user": user.get_username()}


def membership_key(user_id: int, role: str, organization_id: int | None) -> str:
    """The object of a role grant: one open request per (user, role, organisation)."""
    return f"membership:{user_id}:{role}:{organization_id or '-'}"


def _grant_role(approval, requester, approver) -> str:
    user = _user(approval)
    organization = None
    if approval.params.get("organization_id"):
        organization = Organization.objects.filter(pk=approval.params["organization_id"]).first()
        if organization is None:
            raise DomainError(_("Cơ quan, tổ chức không còn tồn tại."), code="gone")
    role = approval.params.get("role", "")
    membership_grant(user=user, role=role, organization=organization, by=requester)
    return _("Đã cấp vai trò %(role)s cho %(user)s.") % {
        "role": Role(role).label,
        "user": user.get_username(),
    }


def superuser_key(user_id: int) -> str:
    """The object of a superuser grant: one open request per user."""
    return f"{SUPERUSER}:{user_id}"


def _grant_superuser(approval, requester, approver) -> str:
    user = superuser_grant(user=_user(approval), by=requester)
    return _("Đã cấp quyền superuser cho %(user)s.") % {"user": user.get_username()}


approval_kind_register(
    ApprovalKind(
        action=ApprovalAction.TWO_FACTOR_RESET,
        approver_roles=(Role.ADMINISTRATOR,),
        run=_reset_two_factor,
    )
)
approval_kind_register(
    ApprovalKind(
        action=ApprovalAction.ROLE_GRANT,
        approver_roles=(Role.ADMINISTRATOR,),
        run=_grant_role,
    )
)
approval_kind_register(
    ApprovalKind(
        action=ApprovalAction.ROLE_GRANT,
        approver_roles=(Role.ADMINISTRATOR,),
        run=_grant_superuser,
        url=lambda approval: reverse("admin:auth_user_change", args=[approval.params["user_id"]]),
        object_type=SUPERUSER,
    )
)


def _change_rule(approval, requester, approver) -> str:
    return approval_rule_change_apply(approval=approval, requester=requester, approver=approver)


approval_kind_register(
    ApprovalKind(
        action=ApprovalAction.RULE_CHANGE,
        approver_roles=(Role.ADMINISTRATOR,),
        run=_change_rule,
        url=lambda approval: reverse("admin:approvals_approvalrule_changelist"),
        object_type=RULE_OBJECT_TYPE,
    )
)
