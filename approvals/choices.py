"""What an approval request can be and where it stands (docs/approvals.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("Chờ phê duyệt")
    APPROVED = "approved", _("Đã phê duyệt, đang thực hiện")
    DONE = "done", _("Đã thực hiện")
    FAILED = "failed", _("Thực hiện không thành công")
    REJECTED = "rejected", _("Bị từ chối")
    EXPIRED = "expired", _("Hết hạn")
    CANCELLED = "cancelled", _("Đã hủy")


# Statuses in which a request still holds its object: one at a time per object.
OPEN_STATUSES = (ApprovalStatus.PENDING, ApprovalStatus.APPROVED)


class ApprovalAction(models.TextChoices):
    """The irreversible actions that may need a second person. A kind's behaviour (who
    approves, what runs) is registered in `approvals.registry`; its rule (whether approval is
    needed, above how many objects, for how long a request waits) is `ApprovalRule`."""

    REVOKE_ORGANIZATION = "certificate.revoke_organization", _("Thu hồi chứng thư số của tổ chức")
    REVOKE_BATCH = "certificate.revoke_batch", _("Thu hồi chứng thư số hàng loạt")
    CA_ROTATE = "authority.rotate", _("Thay khóa CA (nghi thức khóa)")
    ROLE_GRANT = "role.grant", _("Cấp vai trò đặc quyền")
    TWO_FACTOR_RESET = "two_factor.reset", _("Đặt lại xác thực hai yếu tố")
    MERGER_APPLY = "merger_plan.apply", _("Áp dụng phương án sáp nhập")
    RULE_CHANGE = "approval_rule.change", _("Thay đổi quy tắc phê duyệt")


# Actions a rule may govern: every one but a rule's own change, which always needs a second
# person (a rule that could be lowered by one person would let one person switch four eyes
# off; docs/approvals.md, "Rules").
RULED_ACTIONS = [
    (value, label) for value, label in ApprovalAction.choices if value != ApprovalAction.RULE_CHANGE
]


# The rule of an action no `ApprovalRule` row sets: (needed, above how many objects, hours a
# request waits before it expires). Revocation batches need a second person above 50
# certificates; every other action always. A rule's change has no row: always, 72 h.
DEFAULT_RULES: dict[str, tuple[bool, int, int]] = {
    ApprovalAction.REVOKE_ORGANIZATION: (True, 0, 72),
    ApprovalAction.REVOKE_BATCH: (True, 50, 72),
    ApprovalAction.CA_ROTATE: (True, 0, 72),
    ApprovalAction.ROLE_GRANT: (True, 0, 72),
    ApprovalAction.TWO_FACTOR_RESET: (True, 0, 24),
    ApprovalAction.MERGER_APPLY: (True, 0, 72),
    ApprovalAction.RULE_CHANGE: (True, 0, 72),
}
