"""A rule's change, itself watched by four eyes (docs/approvals.md, "Rules"): a rule decides
when a second person is asked, so one administrator alone cannot lower it. Creating, changing
or deleting a rule records an approval request (`approval_rule.change`, object
`approval_rule:<action>:<organisation or ->`); once another administrator approves, the
change is made as its requester (`approval_rule_change_apply`, the kind in
`approvals.kinds`), audited with its reason (before and after) and told to every other
administrator. Until then the rule in force is unchanged."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from agencies.access import scope_for
from agencies.choices import Role
from agencies.models import Membership, Organization
from approvals.choices import ApprovalAction
from approvals.models import Approval, ApprovalRule
from approvals.services.common import NOTIFICATION_KIND, clean_text
from approvals.services.moves import approval_request
from portal.audit import audit_record
from portal.errors import DomainError
from portal.notifications import notify

# The type of the objects of a rule's change ("approval_rule:<action>:<organisation or ->").
RULE_OBJECT_TYPE = "approval_rule"


def rule_key(action: str, organization_id: int | None) -> str:
    """The object of a rule's change: one open request per rule (its action and organisation,
    which a rule keeps once created)."""
    return f"{RULE_OBJECT_TYPE}:{action}:{organization_id or '-'}"


def _rule_facts(rule: ApprovalRule) -> dict:
    return {
        "action": rule.action,
        "organization": rule.organization.path if rule.organization_id else None,
        "required": rule.required,
        "above": rule.above,
        "expires_hours": rule.expires_hours,
    }


def _rule_name(action: str, organization) -> str:
    return f"{ApprovalAction(action).label} · {organization or _('toàn quốc')}"


def _change_words(params: dict) -> str:
    if params.get("delete"):
        return _("xóa quy tắc (áp dụng lại quy tắc chung hoặc mặc định)")
    if not params["required"]:
        need = _("không cần người thứ hai")
    elif params["above"]:
        need = _("cần người thứ hai khi vượt quá %(n)d đối tượng") % {"n": params["above"]}
    else:
        need = _("luôn cần người thứ hai")
    return _("%(need)s, chờ duyệt %(hours)d giờ") % {"need": need, "hours": params["expires_hours"]}


def _tell_administrators(action: str, by, message: str) -> None:
    """Every other administrator hears of a rule's change once it is made."""
    User = get_user_model()
    others = User.objects.filter(is_active=True).filter(
        Q(is_superuser=True)
        | Q(pk__in=Membership.objects.filter(role=Role.ADMINISTRATOR).values("user_id"))
    )
    notify(
        users=[user for user in others if user.pk != by.pk],
        message=message,
        url=reverse("admin:approvals_approvalrule_changelist"),
        subject=f"approval_rule:{action}",
        kind=NOTIFICATION_KIND,
    )


def _request(*, action: str, organization, params: dict, by, reason: str) -> Approval:
    reason = clean_text(reason, required=True, what=_("lý do thay đổi quy tắc"))
    params = {
        "action": action,
        "organization_id": organization.pk if organization else None,
        **params,
    }
    return approval_request(
        action=ApprovalAction.RULE_CHANGE,
        object_key=rule_key(action, params["organization_id"]),
        object_label=_("Quy tắc “%(rule)s”: %(change)s")
        % {"rule": _rule_name(action, organization), "change": _change_words(params)},
        by=by,
        reason=reason,
        params=params,
    )


def approval_rule_change_request(*, rule: ApprovalRule, by, reason: str) -> Approval:
    """Ask for a rule to be created, or changed, to `rule`'s values (the instance is not
    saved; a rule keeps its action and organisation): the change waits for another
    administrator's approval. Refused while the rule has an open request."""
    rule.full_clean(validate_unique=False, validate_constraints=False)
    return _request(
        action=rule.action,
        organization=rule.organization,
        params={
            "delete": False,
            "required": bool(rule.required),
            "above": int(rule.above),
            "expires_hours": int(rule.expires_hours),
        },
        by=by,
        reason=reason,
    )


def approval_rule_delete_request(*, rule: ApprovalRule, by, reason: str) -> Approval:
    """Ask for a rule to be deleted (the default or a wider rule then applies again): it
    waits for another administrator's approval, as a change does."""
    return _request(
        action=rule.action, organization=rule.organization, params={"delete": True}, by=by,
        reason=reason,
    )  # fmt: skip


def approval_rule_change_apply(*, approval: Approval, requester, approver) -> str:
    """What an approved rule change runs (`approvals.kinds`), as its requester, decided on
    the rule's locked row: create, change or delete it, audit it (before and after, the
    request's reason, the approver) and tell the other administrators."""
    params = approval.params
    action = params.get("action", "")
    if action not in ApprovalAction.values or action == ApprovalAction.RULE_CHANGE:
        raise DomainError(_("Thao tác của quy tắc không hợp lệ."), code="action")
    if not scope_for(requester).is_admin:  # the request waited: the role may have been lost
        raise DomainError(
            _("Người đề nghị không còn là quản trị viên: quy tắc không thay đổi."),
            code="forbidden",
        )
    organization = None
    if params.get("organization_id"):
        organization = Organization.objects.filter(pk=params["organization_id"]).first()
        if organization is None:
            raise DomainError(_("Cơ quan, tổ chức không còn tồn tại."), code="gone")
    with transaction.atomic():
        rule = (
            ApprovalRule.objects.select_for_update()
            .filter(action=action, organization=organization)
            .first()
        )
        before = _rule_facts(rule) if rule else None
        name = _rule_name(action, organization)
        facts = {"approval": approval.pk, "approved_by": approver.get_username()}
        if params.get("delete"):
            if rule is None:
                return _("Quy tắc “%(rule)s” đã không còn.") % {"rule": name}
            audit_record(
                actor=requester, action="approval_rule.delete", obj=rule, before=before,
                after=facts, reason=approval.reason,
            )  # fmt: skip
            rule.delete()
            message = _("%(user)s đã xóa quy tắc phê duyệt “%(rule)s” (đề nghị #%(pk)s).")
        else:
            rule = rule or ApprovalRule(action=action, organization=organization)
            rule.required = bool(params["required"])
            rule.above = int(params["above"])
            rule.expires_hours = int(params["expires_hours"])
            rule.save()
            audit_record(
                actor=requester,
                action="approval_rule.update" if before else "approval_rule.create",
                obj=rule,
                before=before,
                after={**_rule_facts(rule), **facts},
                reason=approval.reason,
            )
            message = _("%(user)s đã thay đổi quy tắc phê duyệt “%(rule)s” (đề nghị #%(pk)s).")
        _tell_administrators(
            action,
            requester,
            message % {"user": requester.get_username(), "rule": name, "pk": approval.pk},
        )
    return _("Đã áp dụng: quy tắc “%(rule)s”: %(change)s.") % {
        "rule": name,
        "change": _change_words(params),
    }
