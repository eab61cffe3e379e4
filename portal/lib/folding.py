"""Accent-free search (docs/architecture.md, "Search that forgives accents").

`fold(text)` is the one Vietnamese folding: lower-case, every combining mark dropped after NFD,
đ → d. `Folded(expr)` applies the same folding inside a query, as the SQL function
`portal_fold(text)`: on PostgreSQL an IMMUTABLE function created by the `portal` migration
0009 (plain `translate()`, no extension needed), on SQLite the Python `fold` registered on
every connection. A search is then `folded_contains(field, query)`.
"""

import unicodedata

from django import forms
from django.db.models import Func, Q, TextField
from django.db.models.lookups import Contains
from django.utils.translation import gettext_lazy as _

SQL_FUNCTION = "portal_fold"

# Latin letters whose folding is one other letter: the table PostgreSQL's `translate()` uses.
_LATIN_RANGES = ((0x00C0, 0x024F), (0x1E00, 0x1EFF))


def fold(text: str | None) -> str | None:
    """`text` lower-cased, without accents, đ as d: "Đặng Thị Hằng" → "dang thi hang"."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("đ", "d")


def translate_table() -> tuple[str, str]:
    """(from, to) for SQL `translate()`: each precomposed Latin letter and its folding."""
    source, target = [], []
    for code in range(_LATIN_RANGES[0][0], _LATIN_RANGES[-1][1] + 1):
        if not any(low <= code <= high for low, high in _LATIN_RANGES):
            continue
        char = chr(code)
        folded = fold(char)
        if folded != char and len(folded) == 1:
            source.append(char)
            target.append(folded)
    return "".join(source), "".join(target)


class Folded(Func):
    """`expr` folded like `fold()`, in SQL."""

    function = SQL_FUNCTION
    output_field = TextField()


def folded_contains(field: str, query: str) -> Q:
    """Rows whose `field`, folded, contains the folded `query`."""
    return Q(Contains(Folded(field), fold(query)))


def register_sqlite_function(sender, connection, **kwargs):
    """`connection_created` receiver: gives SQLite the `portal_fold` function."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQL_FUNCTION, 1, fold, deterministic=True)


def search_input() -> forms.TextInput:
    """The widget of every list's search box: tells the user accents are optional."""
    return forms.TextInput(
        attrs={"type": "search", "placeholder": _("Gõ có dấu hoặc không dấu đều được")}
    )
