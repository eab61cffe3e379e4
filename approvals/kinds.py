"""The approval kinds of the accounts, on the floor below (docs/approvals.md): resetting a
user's second factor. Registered when the app is ready (`ApprovalsConfig.ready`)."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from agencies.accounts.twofactor import two_factor_reset
from agencies.choices import Role
from approvals.choices import ApprovalAction
from approvals.registry import ApprovalKind, approval_kind_register
from portal.errors import DomainError


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


approval_kind_register(
    ApprovalKind(
        action=ApprovalAction.TWO_FACTOR_RESET,
        approver_roles=(Role.ADMINISTRATOR,),
        run=_reset_two_factor,
    )
)
