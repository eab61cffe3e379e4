"""What a visible PAdES signature looks like and where it goes (docs/domain.md §9): the portal
prepares each signature at the signer's desk with these (certificates.desk) and never signs
itself (docs/ca.md, "Signing at the signer's desk")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass

SIGNATURE = "signature"
SEAL = "seal"


@dataclass(frozen=True)
class Position:
    """Where a visible signature goes: a page (0-based, -1 = the last) and a box in PDF points
    (x1, y1, x2, y2; origin at the bottom left of the page)."""

    page: int
    box: tuple[float, float, float, float]

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    def left_third(self) -> Position:
        """The seal's place: a square over about the left third of this box, centred on its
        height (docs/domain.md §9)."""
        x1, y1, _x2, _y2 = self.box
        side = min(self.width / 3, self.height)
        bottom = y1 + (self.height - side) / 2
        return Position(page=self.page, box=(x1, bottom, x1 + side, bottom + side))


@dataclass(frozen=True)
class Appearance:
    """The visible part of a signature (docs/domain.md §9).

    A `SIGNATURE` box shows the signer's name, title, agency and the signing time; a `SEAL` is
    the agency's red stamp with its name. The signer adds the time when it signs.
    """

    position: Position
    kind: str = SIGNATURE
    signer_name: str = ""
    title: str = ""
    agency: str = ""

    @classmethod
    def signature(
        cls, position: Position, *, signer_name: str, title: str, agency: str
    ) -> Appearance:
        return cls(
            position=position, kind=SIGNATURE, signer_name=signer_name, title=title, agency=agency
        )

    @classmethod
    def seal(cls, signature_position: Position, *, agency: str) -> Appearance:
        """The agency's seal over the left third of the head's signature box."""
        return cls(position=signature_position.left_third(), kind=SEAL, agency=agency)
