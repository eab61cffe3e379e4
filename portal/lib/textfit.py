"""Fitting text into a document's fixed boxes without breaking it where it must not break
(docs/domain.md §9), measured with the font the documents embed (static/fonts).

- An e-mail address is never broken: in a narrow table cell it is printed whole on one line,
  in the largest of a few smaller sizes that fits the cell (`email_size_class`).
- A header line in capitals breaks only between words, and into lines of about the same
  length (`balanced_lines`): "SỞ KHOA HỌC VÀ CÔNG NGHỆ" in a column too narrow for it becomes
  "SỞ KHOA HỌC" over "VÀ CÔNG NGHỆ", never "…VÀ CÔNG" over "NGHỆ".
"""

from functools import cache
from pathlib import Path

from django.conf import settings
from fontTools.ttLib import TTFont

FONTS = Path(settings.BASE_DIR) / "static" / "fonts"
MM_PER_PT = 25.4 / 72
# The sizes (pt) an e-mail cell may shrink to, largest first, and their CSS classes
# (static/css/pdf.css): no inline style in a document (its CSP forbids them).
EMAIL_SIZES = [(11.0, ""), (10.0, ""), (9.0, "fs9"), (8.0, "fs8"), (7.0, "fs7"), (6.0, "fs6")]


@cache
def _metrics(bold: bool):
    font = TTFont(
        str(FONTS / ("LiberationSerif-Bold.ttf" if bold else "LiberationSerif-Regular.ttf"))
    )
    cmap = font.getBestCmap()
    widths = font["hmtx"].metrics
    units = font["head"].unitsPerEm
    return cmap, widths, units


def text_width_mm(text: str, size_pt: float, *, bold: bool = False) -> float:
    """The advance width of `text` set in Liberation Serif at `size_pt`, in millimetres."""
    cmap, widths, units = _metrics(bold)
    total = 0
    for char in text:
        glyph = cmap.get(ord(char))
        total += widths[glyph][0] if glyph is not None else units // 2
    return total / units * size_pt * MM_PER_PT


def email_size_class(email: str, cell_mm: float, base_pt: float = 10.0) -> str:
    """The CSS class of the largest size, at most `base_pt`, at which `email` fits on one line
    of a cell `cell_mm` wide (its padding included); the smallest size when none does."""
    usable = cell_mm - 4.0  # the cell's padding and borders, and a little room
    for size, css_class in EMAIL_SIZES:
        if size > base_pt:
            continue
        css_class = css_class if size < base_pt else ""
        if text_width_mm(email, size) <= usable:
            return css_class
    return EMAIL_SIZES[-1][1]


def balanced_lines(
    text: str, width_mm: float, size_pt: float, *, bold: bool = True, units: list[str] | None = None
) -> list[str]:
    """`text` cut between words into the fewest lines that each fit `width_mm`, the longest
    of them as short as it can be. A single word wider than the box stays whole. `units`, the
    text already cut into what must stay on one line (a Vietnamese word of several
    syllables, "CÔNG NGHỆ"), replaces the cut at every space."""
    words = units if units is not None else text.split()
    if not words or text_width_mm(" ".join(words), size_pt, bold=bold) <= width_mm:
        return [" ".join(words)] if words else []

    def width(i: int, j: int) -> float:
        return text_width_mm(" ".join(words[i:j]), size_pt, bold=bold)

    n = len(words)
    for count in range(2, n + 1):
        # best[k][j]: the smallest longest line setting words[:j] on k lines, and its cut.
        best = {(0, 0): (0.0, None)}
        for k in range(1, count + 1):
            for j in range(k, n + 1):
                options = []
                for i in range(k - 1, j):
                    if (k - 1, i) in best:
                        options.append((max(best[(k - 1, i)][0], width(i, j)), i))
                if options:
                    best[(k, j)] = min(options)
        longest, _cut = best[(count, n)]
        if longest <= width_mm or count == n:
            lines, j = [], n
            for k in range(count, 0, -1):
                i = best[(k, j)][1]
                lines.append(" ".join(words[i:j]))
                j = i
            return lines[::-1]
    return [" ".join(words)]  # pragma: no cover - the loop returns at count == n
