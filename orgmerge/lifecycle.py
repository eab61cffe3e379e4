"""A merger plan's lifecycle: one table, like the letters' (docs/architecture.md §3).

draft → applying → applied; draft → discarded. Who may take each move is decided in
`orgmerge.permissions` from the plan's scope; the services move only along this table.
"""

from orgmerge.choices import PlanStatus

S = PlanStatus

# action -> (source statuses, target status)
MOVES: dict[str, tuple[frozenset[str], str | None]] = {
    "replan": (frozenset({S.DRAFT}), None),
    "discard": (frozenset({S.DRAFT}), S.DISCARDED),
    "apply": (frozenset({S.DRAFT}), S.APPLYING),
    "finish": (frozenset({S.APPLYING}), S.APPLIED),
}


def can(action: str, status: str) -> bool:
    return status in MOVES[action][0]


def target(action: str) -> str | None:
    return MOVES[action][1]
