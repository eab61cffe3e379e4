"""The moves of an approval request decided by people and by the expiry sweep
(docs/approvals.md): recorded, approved, rejected, withdrawn, expired. Each is decided on the
request as locked, inside the transaction that changes it, along `approvals.lifecycle.MOVES`,
with its transition row and audit event."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from agencies.models import Organization
from agencies.validators import nfc
from approvals.choices import ApprovalAction, ApprovalStatus
from approvals.lifecycle import MOVES
from approvals.models import Approval
from approvals.registry import approval_kind
from approvals.services.common import RUN_TASK, clean_text, tell, transition_record
from approvals.services.people import approvers, may_decide, same_person
from approvals.services.rules import approval_rule
from portal.audit import audit_record
from portal.errors import DomainError
from portal.lib.queueing import enqueue
from portal.texts import text


def approval_request(
    *,
    action: str,
    object_key: str,
    object_label: str,
    by,
    reason: str,
    organization: Organization | None = None,
    params: dict | None = None,
    count: int = 1,
    rule_organization: Organization | None = None,
) -> Approval:
    """Record `action` on the object as waiting for a second person, and tell the approvers.
    Refused when the object already has an open request (pending or being carried out).
    `organization`: where the request stands (its scope, who decides) and whose rule sets how
    long it waits; `rule_organization`, when given, sets the wait instead, for a request that
    stands nowhere (CA operators alone see and decide it) about objects of an organisation."""
    approval_kind(action, object_key)  # refused here when no app carries the action out
    reason = clean_text(reason, required=True, what=_("lý do đề nghị"))
    rule = approval_rule(action=action, organization=rule_organization or organization)
    with transaction.atomic():
        try:
            with transaction.atomic():
                approval = Approval.objects.create(
                    action=action,
                    object_key=object_key,
                    object_label=nfc(object_label)[:255],
                    params=params or {},
                    count=count,
                    organization=organization,
                    requested_by=by,
                    reason=reason,
                    expires_at=timezone.now() + timedelta(hours=rule.expires_hours),
                )
        except IntegrityError:
            open_one = Approval.objects.filter(
                object_key=object_key, status__in=[ApprovalStatus.PENDING, ApprovalStatus.APPROVED]
            ).first()
            raise DomainError(
                _("Đã có đề nghị phê duyệt #%(pk)s đang mở cho %(object)s: chờ kết quả đề nghị đó.")
                % {"pk": open_one.pk if open_one else "?", "object": object_label},
                code="already_open",
            ) from None
        transition_record(approval, "", "request", by=by, note=reason)
        audit_record(
            actor=by,
            action="approval.request",
            obj=approval,
            after={"action": action, "object": object_key, "count": count, "status": "pending"},
            reason=reason,
        )
        tell(
            approvers(approval),
            approval,
            text(
                gettext_noop("Đề nghị phê duyệt #%(pk)s: %(action)s — %(object)s."),
                pk=approval.pk,
                action=ApprovalAction(approval.action).label,
                object=object_label,
            ),
            "requested",
        )
    return approval


@contextmanager
def _deciding(approval: Approval, action: str, *, by) -> Iterator[Approval]:
    """Lock the request and refuse the move unless it is still pending, not expired, and `by`
    may decide it and is not its requester (under any account)."""
    with transaction.atomic():
        locked = (
            Approval.objects.select_for_update(of=("self",))
            .select_related("organization", "requested_by")
            .get(pk=approval.pk)
        )
        if not MOVES.can(action, locked.status):
            raise DomainError(
                _("Đề nghị #%(pk)s đã được xử lý (%(status)s).")
                % {"pk": locked.pk, "status": locked.get_status_display()},
                code="stale_status",
            )
        if locked.expires_at <= timezone.now():
            raise DomainError(
                _("Đề nghị #%(pk)s đã hết hạn chờ duyệt; người đề nghị cần lập đề nghị mới.")
                % {"pk": locked.pk},
                code="expired",
            )
        if action == "cancel":
            if locked.requested_by_id != by.pk:
                raise DomainError(_("Chỉ người đề nghị được hủy đề nghị."), code="forbidden")
        else:
            if same_person(by, locked.requested_by):
                raise DomainError(
                    _(
                        "Người đề nghị không thể tự phê duyệt hay từ chối đề nghị của mình, "
                        "kể cả bằng một tài khoản khác."
                    ),
                    code="own_request",
                )
            if not may_decide(by, locked):
                raise DomainError(
                    _("Bạn không có thẩm quyền quyết định đề nghị này."), code="forbidden"
                )
        yield locked


def _decided(locked: Approval, move: str, status: str, *, by, note: str) -> str:
    """Record the decision `move` on the locked request (its status, who, when, their note,
    its transition); the status it had."""
    before = locked.status
    locked.status = status
    locked.decided_by, locked.decided_at, locked.decision_note = by, timezone.now(), note
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    transition_record(locked, before, move, by=by, note=note)
    return before


def _closed(locked: Approval, move: str, before: str, *, by, reason: str = "") -> None:
    """A request ended without running (rejected, withdrawn, expired): the app whose action it
    was is told (a bulk job cancelled, say), and the move audited."""
    approval_kind(locked.action, locked.object_key).closed(locked)
    audit_record(
        actor=by,
        action=f"approval.{move}",
        obj=locked,
        before={"status": before},
        after={"status": locked.status},
        reason=reason,
    )


def approval_approve(*, approval: Approval, by, note: str = "") -> Approval:
    """Approve: the action is then carried out by a worker, as its requester."""
    note = clean_text(note, required=False, what=_("ý kiến"))
    with _deciding(approval, "approve", by=by) as locked:
        before = _decided(locked, "approve", ApprovalStatus.APPROVED, by=by, note=note)
        audit_record(
            actor=by,
            action="approval.approve",
            obj=locked,
            before={"status": before},
            after={"status": locked.status, "requested_by": locked.requested_by.get_username()},
            reason=note,
        )
        transaction.on_commit(partial(enqueue, RUN_TASK, locked.pk, what=f"approval {locked.pk}"))
    return locked


def approval_reject(*, approval: Approval, by, reason: str) -> Approval:
    """Reject with a reason: nothing of the action is done; the requester is told why."""
    reason = clean_text(reason, required=True, what=_("lý do từ chối"))
    with _deciding(approval, "reject", by=by) as locked:
        before = _decided(locked, "reject", ApprovalStatus.REJECTED, by=by, note=reason)
        _closed(locked, "reject", before, by=by, reason=reason)
        tell(
            [locked.requested_by],
            locked,
            text(
                gettext_noop("Đề nghị #%(pk)s (%(object)s) bị từ chối: %(reason)s"),
                pk=locked.pk,
                object=locked.object_label,
                reason=reason,
            ),
            "rejected",
        )
    return locked


def approval_cancel(*, approval: Approval, by, note: str = "") -> Approval:
    """The requester withdraws a pending request."""
    note = clean_text(note, required=False, what=_("lý do"))
    with _deciding(approval, "cancel", by=by) as locked:
        before = locked.status
        locked.status = ApprovalStatus.CANCELLED
        locked.save(update_fields=["status"])
        transition_record(locked, before, "cancel", by=by, note=note)
        _closed(locked, "cancel", before, by=by, reason=note)
    return locked


def approvals_expire_due(*, now=None) -> int:
    """Move every pending request past its time to expired (periodic): nothing of its action
    is done; its requester is told. Each is decided on its locked row."""
    now = now or timezone.now()
    count = 0
    for pk in list(Approval.objects.due_to_expire(now).values_list("pk", flat=True)[:1000]):
        with transaction.atomic():
            locked = (
                Approval.objects.select_for_update(skip_locked=True, of=("self",))
                .due_to_expire(now)
                .select_related("requested_by")
                .filter(pk=pk)
                .first()
            )
            if locked is None:
                continue
            locked.status = ApprovalStatus.EXPIRED
            locked.save(update_fields=["status"])
            transition_record(locked, ApprovalStatus.PENDING, "expire", by=None)
            _closed(locked, "expire", ApprovalStatus.PENDING, by=None)
            tell(
                [locked.requested_by],
                locked,
                text(
                    gettext_noop("Đề nghị #%(pk)s (%(object)s) đã hết hạn mà chưa được phê duyệt."),
                    pk=locked.pk,
                    object=locked.object_label,
                ),
                "expired",
            )
            count += 1
    return count
