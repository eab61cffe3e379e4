"""A registration's lifecycle: one table, like the letters' (docs/architecture.md §3).

draft → awaiting_head (submit) → draft (send back, with a reason); draft or awaiting_head →
sent (the head signs); the table is saved while draft or awaiting_head. Who may take each move
is `demand.permissions`; the services move only along this table, on the locked row.
"""

from demand.choices import RegistrationStatus as S

# action -> (source statuses, target status or None for a move that keeps the status)
MOVES: dict[str, tuple[frozenset[str], str | None]] = {
    "save": (frozenset({S.DRAFT, S.AWAITING_HEAD}), None),
    "submit": (frozenset({S.DRAFT}), S.AWAITING_HEAD),
    "send_back": (frozenset({S.AWAITING_HEAD}), S.DRAFT),
    "sign": (frozenset({S.DRAFT, S.AWAITING_HEAD}), S.SENT),
}


def can(action: str, status: str) -> bool:
    return status in MOVES[action][0]


def target(action: str) -> str | None:
    return MOVES[action][1]
