"""An approval request's lifecycle, in the shape every workflow shares (portal/lib/lifecycle.py;
docs/approvals.md): pending → approved → done or failed (the portal carries it out), or
pending → rejected, expired, cancelled. Who may approve is the kind's (`approvals.registry`),
checked by the services on the locked request; the table's roles say only the floor."""

from django.utils.translation import gettext_lazy as _

from agencies.choices import Role
from approvals.choices import ApprovalStatus as S
from portal.lib.lifecycle import SYSTEM, Lifecycle, Move, from_each

DECIDERS = (Role.CA_OPERATOR, Role.ADMINISTRATOR, Role.PROVINCIAL_OFFICER)
# Whoever requested it may withdraw it: every role that may request one.
REQUESTERS = DECIDERS

MOVES: Lifecycle[Move] = Lifecycle([
    Move("approve", from_each({S.PENDING}, DECIDERS), S.APPROVED, _("Phê duyệt"),
         effect="approval_approve", button=_("Phê duyệt"), url="approvals:approve"),
    Move("reject", from_each({S.PENDING}, DECIDERS), S.REJECTED, _("Từ chối"),
         effect="approval_reject", button=_("Từ chối"), style="danger", url="approvals:reject"),
    Move("cancel", from_each({S.PENDING}, REQUESTERS), S.CANCELLED, _("Hủy đề nghị"),
         effect="approval_cancel", button=_("Hủy đề nghị"), style="secondary",
         url="approvals:cancel"),
    Move("expire", from_each({S.PENDING}, SYSTEM), S.EXPIRED, _("Hết hạn chờ duyệt"),
         effect="approvals_expire_due"),
    Move("run", from_each({S.APPROVED}, SYSTEM), S.DONE, _("Đã thực hiện"),
         effect="approval_run"),
    Move("fail", from_each({S.APPROVED}, SYSTEM), S.FAILED, _("Thực hiện không thành công"),
         effect="approval_run"),
])  # fmt: skip
