"""One shape for the lifecycle of every workflow: letters, devices, merger plans and demand
registrations (docs/architecture.md §3).

A workflow's table is a `Lifecycle` of `Move`s. A move names the states it starts from and,
for each, the role that may take it there (`SYSTEM`: the portal's own move, never a user's);
the state it leads to (None: it acts without moving); a guard, a rule of the object itself read
on the locked row; its effect, the name of the service that carries it out; and, when a page
offers it, its button. Services move only along the table; permissions, the pages' buttons
and the API's allowed actions are read from it, so a new move is one entry plus its service.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from django.urls import reverse
from django.utils.functional import Promise

# The portal's own moves (a letter reaching the Sở, a device delivered by the CA's processing):
# no user may take them.
SYSTEM = "system"

Roles = str | tuple[str, ...]


def from_each(states: Iterable[str], role: Roles) -> dict[str, Roles]:
    """`sources` for a move that the same role takes from each of `states`."""
    return dict.fromkeys(states, role)


@dataclass(frozen=True)
class Move:
    name: str
    # source state -> the role (or roles) that may take the move from it
    sources: Mapping[str, Roles]
    # None: the move acts on the object without changing its state
    target: str | None
    label: Promise | str
    # a rule of the object itself, on top of state and role (read on the locked row)
    guard: Callable[[object], bool] | None = field(default=None, compare=False)
    # the service that carries the move out ("" for moves a service makes in passing)
    effect: str = ""
    # the page's button: its text ("" for a move no page offers as a button), how it looks
    # ("", "secondary" or "danger"), and where it leads: the URL name of the form it posts
    # to, or of the page it opens (`opens`), reversed with the object's primary key unless
    # `url_takes_pk` is False
    button: Promise | str = ""
    style: str = ""
    url: str = ""
    opens: bool = False
    url_takes_pk: bool = True
    hint: Promise | str = ""

    @property
    def states(self) -> frozenset[str]:
        return frozenset(self.sources)

    def roles_from(self, state: str) -> tuple[str, ...]:
        """The roles that may take the move from `state` (none: it does not start there)."""
        roles = self.sources.get(state, ())
        return (roles,) if isinstance(roles, str) else roles

    def passes(self, obj) -> bool:
        return self.guard is None or self.guard(obj)

    def href(self, obj) -> str:
        """Where the move's button leads for `obj`."""
        return reverse(self.url, args=[obj.pk] if self.url_takes_pk else [])


M = TypeVar("M", bound=Move)


class Lifecycle(Mapping[str, M], Generic[M]):
    """A workflow's moves by name, in the order its pages draw their buttons."""

    def __init__(self, moves: Iterable[M]):
        self._moves = {move.name: move for move in moves}

    def __getitem__(self, name: str) -> M:
        return self._moves[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._moves)

    def __len__(self) -> int:
        return len(self._moves)

    def can(self, name: str, state: str) -> bool:
        return state in self._moves[name].sources

    def target(self, name: str) -> str | None:
        return self._moves[name].target

    def offered(self, obj, state: str, holds: Callable[[str], bool]) -> list[M]:
        """The moves a user may take on `obj` now: they start from `state`, the user
        `holds` one of the roles they name there, and their guard passes."""
        return [
            move
            for move in self._moves.values()
            if any(role != SYSTEM and holds(role) for role in move.roles_from(state))
            and move.passes(obj)
        ]

    def buttons(self, obj, offered: Iterable[str]) -> list[tuple[M, str]]:
        """The buttons of the `offered` moves that a page draws, in the table's order, each
        with where it leads (templates/partials/_moves.html draws them)."""
        wanted = set(offered)
        return [
            (move, move.href(obj))
            for move in self._moves.values()
            if move.name in wanted and move.button and move.url
        ]
