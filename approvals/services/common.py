"""What the approval services share (docs/approvals.md): the check of a reason's text, the
notice of a request's step, and its transition row."""

from django.urls import reverse
from django.utils.translation import gettext as _

from agencies.validators import nfc
from approvals.models import Approval, ApprovalTransition
from portal.errors import DomainError
from portal.notifications import notify

NOTIFICATION_KIND = "approval"
REASON_MAX = 1000
RUN_TASK = "approvals.tasks.approval_run_task"


def clean_text(text: str, *, required: bool, what: str) -> str:
    text = nfc(text or "").strip()
    if required and not text:
        raise DomainError(_("Hãy nêu %(what)s.") % {"what": what}, code="reason")
    if len(text) > REASON_MAX:
        raise DomainError(_("Nội dung dài quá %(n)d ký tự.") % {"n": REASON_MAX}, code="reason")
    return text


def tell(users, approval: Approval, message: str, step: str) -> None:
    """Notify `users` of the request's `step`, once per step (the key)."""
    notify(
        users=users,
        message=message,
        url=reverse("approvals:detail", args=[approval.pk]),
        subject=f"approval:{approval.pk}",
        kind=NOTIFICATION_KIND,
        key=f"approval:{approval.pk}:{step}",
    )


def transition_record(approval: Approval, before: str, action: str, *, by, note: str = ""):
    ApprovalTransition.objects.create(
        approval=approval, from_status=before, to_status=approval.status, action=action,
        by=by, note=note,
    )  # fmt: skip
