"""Whether an action needs a second person (docs/approvals.md, "Rules"): the most specific
`ApprovalRule`, else the default. A rule's change is an approval request of its own
(`approvals.services.rule_changes`)."""

from dataclasses import dataclass

from agencies.models import Organization
from approvals.choices import DEFAULT_RULES
from approvals.models import ApprovalRule


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
