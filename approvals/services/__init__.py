"""Writes of the approval requests (docs/approvals.md). One person records an irreversible
action (`approval_request`); another authorised person, never the requester nor the requester
under a second account, approves or rejects it with a reason after typing their password again
(the page or the API checks it before calling `approval_approve`); an approved request is then
carried out once, in a worker, as its requester (`approval_run`), audited with both names.

Every move is decided on the request as locked, inside the transaction that changes it, along
`approvals.lifecycle.MOVES`, with its transition row and audit event. One open request per
object is the database's (`approval_one_open_per_object`), and so is "never the requester"
(`approval_not_by_requester`).

One job a module: `rules` (whether a second person is needed), `people` (who may decide),
`moves` (request, approve, reject, withdraw, expire), `running` (carrying out, with its
attempts), `rule_changes` (a rule's change, itself a request), `holds` (whether an open
request already holds an object), `common` (what they share)."""

from approvals.services.common import NOTIFICATION_KIND, REASON_MAX, RUN_TASK
from approvals.services.holds import (
    approval_open_for,
    approval_refuse_open,
    approvals_holding,
    approvals_refuse_holding,
)
from approvals.services.moves import (
    approval_approve,
    approval_cancel,
    approval_reject,
    approval_request,
    approvals_expire_due,
)
from approvals.services.people import (
    QUEUE_LIMIT,
    approvals_awaiting,
    approvers,
    may_decide,
    same_person,
)
from approvals.services.rule_changes import (
    RULE_OBJECT_TYPE,
    approval_rule_change_apply,
    approval_rule_change_request,
    approval_rule_delete_request,
    rule_key,
)
from approvals.services.rules import (
    Rule,
    approval_needed,
    approval_needed_in,
    approval_rule,
    approval_rule_organization,
)
from approvals.services.running import approval_run, approvals_resume_stalled

__all__ = [
    "NOTIFICATION_KIND",
    "QUEUE_LIMIT",
    "REASON_MAX",
    "RULE_OBJECT_TYPE",
    "RUN_TASK",
    "Rule",
    "approval_approve",
    "approval_cancel",
    "approval_needed",
    "approval_needed_in",
    "approval_reject",
    "approval_request",
    "approval_rule",
    "approval_open_for",
    "approval_refuse_open",
    "approval_rule_change_apply",
    "approval_rule_change_request",
    "approval_rule_delete_request",
    "approval_rule_organization",
    "approval_run",
    "approvals_awaiting",
    "approvals_expire_due",
    "approvals_holding",
    "approvals_refuse_holding",
    "approvals_resume_stalled",
    "approvers",
    "may_decide",
    "rule_key",
    "same_person",
]
