"""Applying a merger plan needs a second person (docs/approvals.md, "Applying a merger plan"):
the click records an approval request; once another officer of the province (or an
administrator) approves it, the request runs `merger_plan_apply` as its requester
(orgmerge/approval_kinds.py). When a rule says no second person is needed, the click applies
at once, as before."""

from django.db import transaction
from django.utils.translation import gettext as _

from approvals.choices import ApprovalAction
from approvals.models import Approval
from approvals.services import approval_needed, approval_request
from orgmerge.models import MergerPlan
from orgmerge.permissions import require_act
from orgmerge.services.apply import merger_plan_apply
from orgmerge.services.plans import lock, plan_key, require_move, require_no_open_request


def merger_plan_apply_request(*, plan: MergerPlan, by, reason: str = "") -> Approval | None:
    """Ask for the plan to be applied: the approval request (None when applied at once).
    Decided on the locked plan: only a draft the user may act on, with no request open."""
    with transaction.atomic():
        locked = lock(plan)
        require_act(by, locked)
        require_move(locked, "apply")
        require_no_open_request(locked)
        province = locked.province
        if not approval_needed(action=ApprovalAction.MERGER_APPLY, organization=province):
            merger_plan_apply(plan=locked, by=by)
            return None
        label = _("Phương án sáp nhập #%(pk)s") % {"pk": locked.pk}
        return approval_request(
            action=ApprovalAction.MERGER_APPLY,
            object_key=plan_key(locked.pk),
            object_label=label,
            by=by,
            reason=reason.strip() or _("Thực hiện %(plan)s.") % {"plan": label},
            organization=province,
            params={"plan_id": locked.pk},
        )
