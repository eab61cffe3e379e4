"""The bulk actions, one module each (docs/bulk.md, "Actions"): who may take which on which
register, and what a batch of it does. An action is found by its register and name: the
same name (`remind`) may be taken on two registers, each with its own spec."""

from agencies.access import scope_for
from bulk.actions.base import ActionSpec, Outcome
from bulk.actions.draft import DRAFT_RENEW, DRAFT_REVOKE, letters_of
from bulk.actions.remind import REMIND
from bulk.actions.remind_letters import REMIND_LETTERS
from bulk.actions.remind_return import REMIND_RETURN
from bulk.actions.revoke import REVOKE
from bulk.choices import Register

ACTIONS: dict[tuple[str, str], ActionSpec] = {
    (spec.register, spec.action): spec
    for spec in (REVOKE, DRAFT_REVOKE, DRAFT_RENEW, REMIND, REMIND_RETURN, REMIND_LETTERS)
}

__all__ = [
    "ACTIONS",
    "ActionSpec",
    "Outcome",
    "action_spec",
    "actions_for",
    "letters_of",
    "revocation_waits_for",
]


def action_spec(register: str, action: str) -> ActionSpec | None:
    return ACTIONS.get((register, action))


def actions_for(user, register: str = Register.CERTIFICATES) -> list[str]:
    """The bulk actions `user` may take on `register`, in the table's order."""
    scope = scope_for(user)
    return [
        action for (on, action), spec in ACTIONS.items() if on == register and spec.allowed(scope)
    ]


def revocation_waits_for(rows, user, count: int) -> str | None:
    """The approval a revocation of the selection `rows` would wait for (an approval action),
    or None: the job's own decision (`bulk.actions.revoke`, the rules of the selected
    certificates' agencies), for the preview of the page and of the API."""
    spec = REVOKE
    return spec.approval(spec.restrict(rows, user), count, {})
