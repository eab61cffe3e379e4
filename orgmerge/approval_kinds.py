"""What an approved "apply this merger plan" request carries out (docs/approvals.md), registered
in `OrgmergeConfig.ready`: `merger_plan_apply` as the requester, which queues the worker."""

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext as _

from agencies.choices import Role
from approvals.choices import ApprovalAction
from approvals.registry import ApprovalKind, approval_kind_register
from orgmerge.models import MergerPlan
from orgmerge.services import merger_plan_apply
from portal.errors import DomainError


def _apply(approval, requester, approver) -> str:
    plan = MergerPlan.objects.filter(pk=approval.params.get("plan_id")).first()
    if plan is None:
        raise DomainError(_("Phương án không còn tồn tại."), code="gone")
    try:
        merger_plan_apply(plan=plan, by=requester, approval=approval)
    except PermissionDenied:
        raise DomainError(
            _("Người đề nghị không còn quyền thực hiện phương án này."), code="forbidden"
        ) from None
    return _("Đã bắt đầu thực hiện phương án #%(pk)s; kết quả hiện trên trang phương án.") % {
        "pk": plan.pk
    }


def _url(approval) -> str:
    return reverse("orgmerge:detail", args=[approval.params.get("plan_id")])


approval_kind_register(
    ApprovalKind(
        action=ApprovalAction.MERGER_APPLY,
        approver_roles=(Role.PROVINCIAL_OFFICER, Role.ADMINISTRATOR),
        run=_apply,
        url=_url,
    )
)
