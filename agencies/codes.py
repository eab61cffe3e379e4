"""Official electronic identifiers of agencies (mã định danh điện tử, Quyết định
20/2020/QĐ-TTg; docs/exchange.md, "Agency codes"): their structure, pure functions only.

A code is four dot-separated groups, 13 characters, the lowest level on the left:
`ZZZ.YY.XX.ANN`.

- `ANN`, level 1: a letter and two digits (G.. for ministries and central bodies, H.. for
  provinces; 00 is not a number);
- `XX`, level 2, numbered within its level-1 unit; `YY`, level 3, within its level-2 unit;
  `ZZZ`, level 4, within its level-3 unit; all zeros when the organisation is not that low.

So `000.00.00.H29` is a level-1 unit, `000.00.05.H29` its level-2 unit number 5, and
`000.03.05.H29` a level-3 unit of that one. A level cannot be skipped (`000.03.00.H29` has no
level-2 parent), and a child's code repeats every non-zero group of its parent's.
"""

import re
import unicodedata
from dataclasses import dataclass

CODE_LENGTH = 13
# [0-9], never \d: \d also matches Arabic-Indic, full-width and other Unicode digits.
CODE_RE = re.compile(r"^([0-9]{3})\.([0-9]{2})\.([0-9]{2})\.([A-Z](?:0[1-9]|[1-9][0-9]))$")
# A tail of a code, as typed in a search box: "H29", "05.H29", "03.05.H29" (the levels above).
TAIL_RE = re.compile(r"^(?:(?:[0-9]{3}\.)?[0-9]{2}\.)?(?:[0-9]{2}\.)?[A-Z][0-9]{2}$")
# The start of a code, as typed: "000.00.05" or "000.0".
HEAD_RE = re.compile(r"^[0-9]{1,3}(?:\.[0-9]{0,2}(?:\.[0-9]{0,2}(?:\.[A-Z]?[0-9]{0,2})?)?)?$")


def normalize_code(value: str | None) -> str:
    """What is stored and compared: NFKC, no surrounding blanks, upper-case letters ("" for
    nothing). Spreadsheets and browsers may send decomposed or padded text, and a Vietnamese
    or Japanese input method full-width characters ("０００．００．０５．Ｈ２９"): NFKC, not
    only NFC, turns those into ASCII. Other scripts' digits (Arabic-Indic) stay as they are
    and are refused by the structure."""
    if not value:
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip().upper()


@dataclass(frozen=True)
class AgencyCode:
    """A code split into its groups, level 1 first."""

    groups: tuple[str, str, str, str]  # (ANN, XX, YY, ZZZ)

    @property
    def level(self) -> int:
        """1 to 4: the deepest non-zero group."""
        level = 1
        for depth, group in enumerate(self.groups[1:], start=2):
            if int(group):
                level = depth
        return level

    @property
    def missing_level(self) -> int | None:
        """The first zero group above a non-zero one (a skipped level), or None."""
        for depth in range(2, self.level):
            if not int(self.groups[depth - 1]):
                return depth
        return None

    def __str__(self) -> str:
        first, second, third, fourth = self.groups
        return f"{fourth}.{third}.{second}.{first}"

    def parent(self) -> "AgencyCode | None":
        """The code of the unit one level up (None for level 1)."""
        if self.level == 1:
            return None
        groups = list(self.groups)
        groups[self.level - 1] = "0" * len(groups[self.level - 1])
        return AgencyCode(tuple(groups))

    def is_below(self, other: "AgencyCode") -> bool:
        """Whether this code lies under `other`: deeper, and repeating every non-zero group
        of it (the levels in between may be anything)."""
        return (
            self.level > other.level and self.groups[: other.level] == other.groups[: other.level]
        )


def parse_code(value: str) -> AgencyCode | None:
    """The normalised `value` split into groups; None when it is not of the structure."""
    match = CODE_RE.match(normalize_code(value))
    if match is None:
        return None
    fourth, third, second, first = match.groups()
    return AgencyCode((first, second, third, fourth))


def looks_like_code_part(text: str) -> str:
    """How a search text reads as a code: "exact", "tail" (the levels above: "05.H29"),
    "head" (the start of a code as written: "000.00.0") or "" (not a code)."""
    text = normalize_code(text)
    if CODE_RE.match(text):
        return "exact"
    if TAIL_RE.match(text):
        return "tail"
    if "." in text and HEAD_RE.match(text):
        return "head"
    return ""
