"""What every bulk action is made of (docs/bulk.md, "Actions"): who may take it on which
register, what it needs and checks when the job is confirmed, whether a second person must
approve it, what one batch does to its objects and what is done once at the end."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import QuerySet

from agencies.access import Scope
from bulk.choices import ItemStatus


@dataclass
class Outcome:
    """What a batch did: the object ids by (item status, message)."""

    groups: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    def add(self, status: str, message: str, object_id: int) -> None:
        self.groups.setdefault((status, str(message)[:500]), []).append(object_id)

    def done(self, message: str, object_id: int) -> None:
        self.add(ItemStatus.DONE, message, object_id)

    def failed(self, message: str, object_id: int) -> None:
        self.add(ItemStatus.FAILED, message, object_id)

    def skipped(self, message: str, object_id: int) -> None:
        self.add(ItemStatus.SKIPPED, message, object_id)

    @property
    def ids(self) -> set[int]:
        return {pk for ids in self.groups.values() for pk in ids}


def _everything(rows: QuerySet, user) -> QuerySet:
    return rows


def _no_approval(rows: QuerySet, total: int, params: dict):
    return None


def _national_rule(rows: QuerySet, action: str, total: int):
    return None


def _nothing(job) -> None:
    return None


def _nothing_held(rows: QuerySet) -> None:
    return None


@dataclass(frozen=True)
class ActionSpec:
    action: str
    # The register it is taken on (an action's name may recur on another register with its
    # own spec: `remind` on the certificates and on the letters).
    register: str
    # Whether a user of this scope may take it (their objects are what `visible_to` shows).
    allowed: Callable[[Scope], bool]
    # The action's own parameters, checked against the selection (rows, params, by) → the
    # params kept on the job; a refusal is a DomainError in Vietnamese.
    clean_params: Callable[[QuerySet, dict, object], dict]
    # One batch: (locked job, object ids) → Outcome, in the batch's transaction.
    run_batch: Callable[[object, list[int]], Outcome]
    # The selection narrowed to what the action may touch of the user's scope.
    restrict: Callable[[QuerySet, object], QuerySet] = _everything
    # (rows, total, params) → the approvals.ApprovalAction a second person must approve, or None.
    approval: Callable[[QuerySet, int, dict], object] = _no_approval
    # (rows, approval action, total) → the organisation whose rule sets how long that request
    # waits (`approval_request(rule_organization=…)`), or None: the national rule.
    rule_organization: Callable[[QuerySet, str, int], object] = _national_rule
    # (rows) → None, or a DomainError when an open approval request already holds one of the
    # objects (docs/approvals.md): decided on the rows it locks, whatever the rules say.
    refuse_held: Callable[[QuerySet], None] = _nothing_held
    # What the approval request says the job does (params → words).
    describe: Callable[[dict], str] = lambda params: ""
    # Once, when the job ends, done or failed (in its transaction): a CRL publication, say.
    finish: Callable[[object], None] = _nothing
