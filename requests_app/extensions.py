"""What higher floors add to the letters (docs/architecture.md §1). The letters do not know
how they travel: the exchange app sits above them and registers here, when it starts, what a
letter's move, its signed version's arrival and its page call back. Each hook runs where the letters call it: inside
the transaction of the move or of the arrival, or while the page is made."""

from collections.abc import Callable
from typing import Any

# (letter as locked, move name, by, note): inside the move's transaction, after the move
Moved = Callable[..., None]
# (letter as locked, its signed version): an issued letter's signed version reached the
# province, inside that transaction
Arrived = Callable[[Any, Any], None]
# () -> {name: expression}: what the letter's page reads in the letter's own query
PageFacts = Callable[[], dict[str, Any]]
# (request, letter, its documents) -> HTML of a card on the letter's page
LetterPanel = Callable[[Any, Any, list], str]

_moved: list[Moved] = []
_arrived: list[Arrived] = []
_page_facts: list[PageFacts] = []
_panels: list[LetterPanel] = []


def _register(hooks: list, hook) -> None:
    if hook not in hooks:
        hooks.append(hook)


def moved_register(hook: Moved) -> None:
    _register(_moved, hook)


def arrived_register(hook: Arrived) -> None:
    _register(_arrived, hook)


def page_facts_register(hook: PageFacts) -> None:
    _register(_page_facts, hook)


def letter_panel_register(hook: LetterPanel) -> None:
    _register(_panels, hook)


def moved(letter, name: str, *, by=None, note: str = "") -> None:
    for hook in _moved:
        hook(letter, name, by=by, note=note)


def arrived(letter, document) -> None:
    for hook in _arrived:
        hook(letter, document)


def page_facts() -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for hook in _page_facts:
        facts.update(hook())
    return facts


def letter_panels(request, letter, documents: list) -> list[str]:
    return [panel(request, letter, documents) for panel in _panels]
