"""Who may decide an approval request (docs/approvals.md): an approver role of its kind, and
never its requester under any of their accounts."""

from django.contrib.auth import get_user_model
from django.db.models import Q

from agencies.access import scope_for, scopes_for
from agencies.choices import Role
from agencies.models import Membership, Person
from approvals.models import Approval
from approvals.registry import approval_kind, approval_kinds


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
        .select_related("organization", "requested_by__person")
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
    """The accounts that may approve `approval`, its requester's person excluded. A bounded
    number of queries whatever the number of candidates: the candidates, their scopes read
    together (`scopes_for`), and their identities together with the requester's."""
    roles = approval_kind(approval.action, approval.object_key).approver_roles
    User = get_user_model()
    candidates = list(
        User.objects.filter(is_active=True)
        .filter(
            Q(pk__in=Membership.objects.filter(role__in=roles).values("user_id"))
            | (Q(is_superuser=True) if Role.ADMINISTRATOR in roles else Q(pk__in=[]))
        )
        .order_by("pk")
    )
    scopes_for(candidates)
    requester = approval.requested_by
    names = _identities([requester, *candidates])
    return [
        user
        for user in candidates
        if may_decide(user, approval)
        and user.pk != requester.pk
        and not names[user.pk] & names[requester.pk]
    ]
