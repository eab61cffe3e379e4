"""Writes of the approval requests (docs/approvals.md). One person records an irreversible
action (`approval_request`); another authorised person, never the requester nor the requester
under a second account, approves or rejects it with a reason after typing their password again
(the page or the API checks it before calling `approval_approve`); an approved request is then
carried out once, in a worker, as its requester (`approval_run`), audited with both names.

Every move is decided on the request as locked, inside the transaction that changes it, along
`approvals.lifecycle.MOVES`, with its transition row and audit event. One open request per
object is the database's (`approval_one_open_per_object`), and so is "never the requester"
(`approval_not_by_requester`)."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.access import scope_for
from agencies.choices import Role
from agencies.models import Membership, Organization, Person
from agencies.validators import nfc
from approvals.choices import DEFAULT_RULES, ApprovalStatus
from approvals.lifecycle import MOVES
from approvals.models import Approval, ApprovalRule, ApprovalTransition
from approvals.registry import approval_kind, approval_kinds
from portal.audit import audit_record
from portal.errors import DomainError
from portal.lib.queueing import enqueue
from portal.notifications import notify

NOTIFICATION_KIND = "approval"
REASON_MAX = 1000
RUN_TASK = "approvals.tasks.approval_run_task"


@dataclass(frozen=True)
class Rule:
    required: bool
    above: int
    expires_hours: int


def approval_rule(*, action: str, organization: Organization | None = None) -> Rule:
    """The rule for `action` at `organization`: the most specific `ApprovalRule` (the
    organisation's own, then the nearest above it, then the national one), else the default."""
    rules = ApprovalRule.objects.filter(action=action).select_related("organization")
    return _most_specific(action, list(rules), organization)


def _most_specific(action: str, rules: list[ApprovalRule], organization) -> Rule:
    best, depth = None, -1
    for rule in rules:
        if rule.organization is None:
            if depth < 0:
                best, depth = rule, 0
        elif (
            organization is not None
            and organization.path.startswith(rule.organization.path)
            and len(rule.organization.path) > depth
        ):
            best, depth = rule, len(rule.organization.path)
    if best is not None:
        return Rule(best.required, best.above, best.expires_hours)
    required, above, hours = DEFAULT_RULES[action]
    return Rule(required, above, hours)


def _rule_facts(rule: ApprovalRule) -> dict:
    return {
        "action": rule.action,
        "organization": rule.organization.path if rule.organization_id else None,
        "required": rule.required,
        "above": rule.above,
        "expires_hours": rule.expires_hours,
    }


def _tell_administrators(rule: ApprovalRule, by, message: str) -> None:
    """A rule decides when a second person is asked: every other administrator hears of its
    change, so that one administrator cannot loosen it unseen."""
    User = get_user_model()
    others = User.objects.filter(is_active=True).filter(
        Q(is_superuser=True)
        | Q(pk__in=Membership.objects.filter(role=Role.ADMINISTRATOR).values("user_id"))
    )
    notify(
        users=[user for user in others if user.pk != by.pk],
        message=message,
        url=reverse("admin:approvals_approvalrule_changelist"),
        subject=f"approval_rule:{rule.action}",
        kind=NOTIFICATION_KIND,
    )


def approval_rule_save(*, rule: ApprovalRule, by, reason: str) -> ApprovalRule:
    """Create or change a rule, audited with its reason (before and after) and told to the
    other administrators."""
    reason = _clean_text(reason, required=True, what=_("lý do thay đổi quy tắc"))
    with transaction.atomic():
        before = (
            _rule_facts(ApprovalRule.objects.select_for_update().get(pk=rule.pk))
            if rule.pk
            else None
        )
        rule.save()
        audit_record(
            actor=by,
            action="approval_rule.update" if before else "approval_rule.create",
            obj=rule,
            before=before,
            after=_rule_facts(rule),
            reason=reason,
        )
        _tell_administrators(
            rule,
            by,
            _("%(user)s đã thay đổi quy tắc phê duyệt “%(rule)s”: %(reason)s")
            % {"user": by.get_username(), "rule": rule, "reason": reason},
        )
    return rule


def approval_rule_delete(*, rule: ApprovalRule, by, reason: str) -> None:
    """Delete a rule (the default or a wider rule applies again), audited and told."""
    with transaction.atomic():
        audit_record(
            actor=by, action="approval_rule.delete", obj=rule, before=_rule_facts(rule),
            reason=reason,
        )  # fmt: skip
        _tell_administrators(
            rule,
            by,
            _("%(user)s đã xóa quy tắc phê duyệt “%(rule)s”.")
            % {"user": by.get_username(), "rule": rule},
        )
        rule.delete()


def approval_needed(*, action: str, organization: Organization | None = None, count: int = 1):
    """Whether carrying out `action` on `count` objects at `organization` needs a second
    person."""
    rule = approval_rule(action=action, organization=organization)
    return rule.required and count > rule.above


def approval_needed_in(*, action: str, organization_ids, count: int = 1) -> bool:
    """Whether carrying out `action` at once on `count` objects belonging to the organisations
    `organization_ids` needs a second person: when the rule at any of them says so, so that
    objects of several organisations follow the strictest of their rules (adding another
    organisation's object never lifts one); with none, the national rule. Two queries."""
    ids = {pk for pk in organization_ids if pk is not None}
    if not ids:
        return approval_needed(action=action, count=count)
    return approval_rule_organization(action=action, organization_ids=ids, count=count) is not None


def approval_rule_organization(
    *, action: str, organization_ids, count: int = 1
) -> Organization | None:
    """Of the organisations `organization_ids`, the one whose rule a request about `count` of
    their objects follows (`approval_request(rule_organization=…)`): of those whose rule asks
    for a second person, the one whose request waits the least, so that no organisation's
    stricter rule is outlasted; None when none asks. Two queries."""
    rules = list(ApprovalRule.objects.filter(action=action).select_related("organization"))
    chosen, wait = None, 0
    ids = [pk for pk in organization_ids if pk is not None]
    for organization in Organization.objects.filter(pk__in=ids).only("pk", "path").order_by("pk"):
        rule = _most_specific(action, rules, organization)
        if rule.required and count > rule.above and (chosen is None or rule.expires_hours < wait):
            chosen, wait = organization, rule.expires_hours
    return chosen


def _clean_text(text: str, *, required: bool, what: str) -> str:
    text = nfc(text or "").strip()
    if required and not text:
        raise DomainError(_("Hãy nêu %(what)s.") % {"what": what}, code="reason")
    if len(text) > REASON_MAX:
        raise DomainError(_("Nội dung dài quá %(n)d ký tự.") % {"n": REASON_MAX}, code="reason")
    return text


def _identities(users) -> dict[int, set[str]]:
    """What names the human behind each account: its e-mail, and its person's official e-mail
    and ID number (the blind index); two queries whatever the number of accounts."""
    found = {user.pk: {(user.email or "").strip().lower()} for user in users}
    people = Person.objects.filter(user_id__in=list(found)).values_list(
        "user_id", "official_email", "national_id_index"
    )
    for user_id, email, index in people:
        found[user_id] |= {email.strip().lower(), f"id:{index}"}
    return {pk: names - {"", "id:"} for pk, names in found.items()}


def same_person(first, second) -> bool:
    """Whether two accounts are one person: the same account, or two accounts sharing an
    e-mail address (the account's or its person's official one) or an ID number (a person's
    record is unique by ID number, so a second account shows as its e-mail)."""
    if first.pk == second.pk:
        return True
    names = _identities([first, second])
    return bool(names[first.pk] & names[second.pk])


def may_decide(user, approval: Approval) -> bool:
    """Whether `user` holds a role that may approve `approval`'s kind there (not whether they
    are its requester: `same_person` decides that)."""
    scope = scope_for(user)
    path = approval.organization.path if approval.organization_id else None
    for role in approval_kind(approval.action, approval.object_key).approver_roles:
        if role == Role.CA_OPERATOR and scope.is_ca:
            return True
        if role == Role.ADMINISTRATOR and scope.is_admin:
            return True
        if path is not None and scope.holds(role, path):
            return True
    return False


QUEUE_LIMIT = 200


def approvals_awaiting(user) -> list[Approval]:
    """The pending requests `user` may decide (not their own, under any account), oldest
    first: the approver's queue."""
    scope = scope_for(user)
    # only the kinds the user holds an approver role for, before the page's limit: requests
    # the user may not decide never push theirs out of the queue
    actions = {
        kind.action
        for kind in approval_kinds().values()
        if any(
            (role == Role.CA_OPERATOR and scope.is_ca)
            or (role == Role.ADMINISTRATOR and scope.is_admin)
            or role in scope.roles
            for role in kind.approver_roles
        )
    }
    pending = (
        Approval.objects.visible_to(user)
        .pending()
        .filter(action__in=actions)
        .exclude(requested_by=user)
        .select_related("organization", "requested_by")
        .order_by("requested_at", "pk")[:QUEUE_LIMIT]
    )
    decidable = [approval for approval in pending if may_decide(user, approval)]
    names = _identities([user, *(approval.requested_by for approval in decidable)])
    return [
        approval
        for approval in decidable
        if approval.requested_by_id != user.pk
        and not names[user.pk] & names[approval.requested_by_id]
    ]


def approvers(approval: Approval) -> list:
    """The accounts that may approve `approval`, its requester's person excluded."""
    roles = approval_kind(approval.action, approval.object_key).approver_roles
    User = get_user_model()
    candidates = User.objects.filter(is_active=True).filter(
        Q(pk__in=Membership.objects.filter(role__in=roles).values("user_id"))
        | (Q(is_superuser=True) if Role.ADMINISTRATOR in roles else Q(pk__in=[]))
    )
    return [
        user
        for user in candidates
        if may_decide(user, approval) and not same_person(user, approval.requested_by)
    ]


def _tell(users, approval: Approval, message: str, step: str) -> None:
    notify(
        users=users,
        message=message,
        url=reverse("approvals:detail", args=[approval.pk]),
        subject=f"approval:{approval.pk}",
        kind=NOTIFICATION_KIND,
        key=f"approval:{approval.pk}:{step}",
    )


def _transition(approval: Approval, before: str, action: str, *, by, note: str = "") -> None:
    ApprovalTransition.objects.create(
        approval=approval, from_status=before, to_status=approval.status, action=action,
        by=by, note=note,
    )  # fmt: skip


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
    reason = _clean_text(reason, required=True, what=_("lý do đề nghị"))
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
        _transition(approval, "", "request", by=by, note=reason)
        audit_record(
            actor=by,
            action="approval.request",
            obj=approval,
            after={"action": action, "object": object_key, "count": count, "status": "pending"},
            reason=reason,
        )
        _tell(
            approvers(approval),
            approval,
            _("Đề nghị phê duyệt #%(pk)s: %(action)s — %(object)s.")
            % {"pk": approval.pk, "action": approval.get_action_display(), "object": object_label},
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


def approval_approve(*, approval: Approval, by, note: str = "") -> Approval:
    """Approve: the action is then carried out by a worker, as its requester."""
    note = _clean_text(note, required=False, what=_("ý kiến"))
    with _deciding(approval, "approve", by=by) as locked:
        before = locked.status
        locked.status = ApprovalStatus.APPROVED
        locked.decided_by, locked.decided_at, locked.decision_note = by, timezone.now(), note
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        _transition(locked, before, "approve", by=by, note=note)
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
    reason = _clean_text(reason, required=True, what=_("lý do từ chối"))
    with _deciding(approval, "reject", by=by) as locked:
        before = locked.status
        locked.status = ApprovalStatus.REJECTED
        locked.decided_by, locked.decided_at, locked.decision_note = by, timezone.now(), reason
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        _transition(locked, before, "reject", by=by, note=reason)
        approval_kind(locked.action, locked.object_key).closed(locked)
        audit_record(
            actor=by,
            action="approval.reject",
            obj=locked,
            before={"status": before},
            after={"status": locked.status},
            reason=reason,
        )
        _tell(
            [locked.requested_by],
            locked,
            _("Đề nghị #%(pk)s (%(object)s) bị từ chối: %(reason)s")
            % {"pk": locked.pk, "object": locked.object_label, "reason": reason},
            "rejected",
        )
    return locked


def approval_cancel(*, approval: Approval, by, note: str = "") -> Approval:
    """The requester withdraws a pending request."""
    note = _clean_text(note, required=False, what=_("lý do"))
    with _deciding(approval, "cancel", by=by) as locked:
        before = locked.status
        locked.status = ApprovalStatus.CANCELLED
        locked.save(update_fields=["status"])
        _transition(locked, before, "cancel", by=by, note=note)
        approval_kind(locked.action, locked.object_key).closed(locked)
        audit_record(
            actor=by,
            action="approval.cancel",
            obj=locked,
            before={"status": before},
            after={"status": locked.status},
            reason=note,
        )
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
            _transition(locked, ApprovalStatus.PENDING, "expire", by=None)
            approval_kind(locked.action, locked.object_key).closed(locked)
            audit_record(
                actor=None,
                action="approval.expire",
                obj=locked,
                before={"status": ApprovalStatus.PENDING},
                after={"status": locked.status},
            )
            _tell(
                [locked.requested_by],
                locked,
                _("Đề nghị #%(pk)s (%(object)s) đã hết hạn mà chưa được phê duyệt.")
                % {"pk": locked.pk, "object": locked.object_label},
                "expired",
            )
            count += 1
    return count


def approval_run(*, approval_id: int) -> Approval | None:
    """Carry an approved request out, once: under its lock, only while approved; the kind's
    action runs as the requester in the same transaction, so a second delivery (or a second
    worker waiting on the lock) finds it done and does nothing. A DomainError from the action
    fails the request with its message and leaves everything else as it was."""
    with transaction.atomic():
        locked = (
            Approval.objects.select_for_update(of=("self",))
            .select_related("organization", "requested_by", "decided_by")
            .filter(pk=approval_id)
            .first()
        )
        if locked is None or locked.status != ApprovalStatus.APPROVED:
            return locked
        kind = approval_kind(locked.action, locked.object_key)
        try:
            with transaction.atomic():
                outcome = kind.run(locked, locked.requested_by, locked.decided_by)
            status, step = ApprovalStatus.DONE, "run"
        except DomainError as exc:
            outcome, status, step = exc.message, ApprovalStatus.FAILED, "fail"
        locked.status, locked.outcome, locked.ran_at = status, outcome or "", timezone.now()
        locked.save(update_fields=["status", "outcome", "ran_at"])
        _transition(locked, ApprovalStatus.APPROVED, step, by=None, note=locked.outcome)
        audit_record(
            actor=locked.requested_by,
            action=f"approval.{step}",
            obj=locked,
            before={"status": ApprovalStatus.APPROVED},
            after={
                "status": status,
                "action": locked.action,
                "object": locked.object_key,
                "requested_by": locked.requested_by.get_username(),
                "approved_by": locked.decided_by.get_username(),
            },
            reason=locked.outcome[:500],
        )
        _tell(
            [locked.requested_by, locked.decided_by],
            locked,
            _("Đề nghị #%(pk)s (%(object)s): %(status)s. %(outcome)s")
            % {
                "pk": locked.pk,
                "object": locked.object_label,
                "status": locked.get_status_display(),
                "outcome": locked.outcome,
            },
            step,
        )
    return locked


def approvals_resume_stalled(*, now=None) -> int:
    """Queue again every approved request not carried out in time (its task lost with a
    worker or a broker); `approval_run` does nothing for one already done."""
    now = now or timezone.now()
    pks = list(
        Approval.objects.run_stalled(now, settings.PORTAL_APPROVAL_RUN_STALL_SECONDS).values_list(
            "pk", flat=True
        )[:1000]
    )
    for pk in pks:
        enqueue(RUN_TASK, pk, what=f"approval {pk}")
    return len(pks)
