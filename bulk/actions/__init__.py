"""The bulk actions, one module each (docs/bulk.md, "Actions"): who may take which on which
register, and what a batch of it does."""

from agencies.access import scope_for
from bulk.actions.base import ActionSpec, Outcome
from bulk.actions.draft import DRAFT_RENEW, DRAFT_REVOKE, letters_of
from bulk.actions.remind import REMIND
from bulk.actions.revoke import REVOKE
from bulk.choices import Register

ACTIONS: dict[str, ActionSpec] = {
    spec.action: spec for spec in (REVOKE, DRAFT_REVOKE, DRAFT_RENEW, REMIND)
}

__all__ = ["ACTIONS", "ActionSpec", "Outcome", "actions_for", "letters_of"]


def actions_for(user, register: str = Register.CERTIFICATES) -> list[str]:
    """The bulk actions `user` may take on `register`, in the table's order."""
    scope = scope_for(user)
    return [
        action
        for action, spec in ACTIONS.items()
        if register in spec.registers and spec.allowed(scope)
    ]
