"""The inventory (privacy.inventory) as rows to read, in the active language: the staff page
shows them in Vietnamese, `manage.py privacy_docs` writes them in English into
docs/privacy.md between its two markers (docs/privacy.md, "The inventory")."""

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import translation

from agencies.choices import Role
from privacy.choices import DataCategory, LegalBasis
from privacy.inventory import FIELDS, NOT_PERSONAL, ROLE_LABELS

DOCS_PATH = Path(settings.BASE_DIR) / "docs" / "privacy.md"
START = "<!-- inventory:start (written by `manage.py privacy_docs`, do not edit) -->"
END = "<!-- inventory:end -->"
ROLE_ORDER = ["self", *Role.values]


@dataclass(frozen=True)
class Row:
    model: str
    fields: str
    category: str
    purpose: str
    basis: str
    retention: str
    unmasked: str


def rows() -> list[Row]:
    """One row per group of fields of one model sharing every word of their declaration."""
    categories, bases = dict(DataCategory.choices), dict(LegalBasis.choices)
    grouped: dict[tuple, list[str]] = {}
    for entry in FIELDS:
        roles = sorted(entry.unmasked, key=ROLE_ORDER.index)
        key = (
            entry.model,
            str(categories[entry.category]),
            str(entry.purpose),
            str(bases[entry.basis]),
            str(entry.retention),
            ", ".join(str(ROLE_LABELS[role]) for role in roles),
        )
        grouped.setdefault(key, []).append(entry.field)
    return [Row(key[0], ", ".join(fields), *key[1:]) for key, fields in grouped.items()]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table() -> str:
    with translation.override("en"):
        lines = [
            "| model | fields | category | purpose | legal basis | retention | unmasked for |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in rows():
            cells = [f"`{row.model}`", f"`{row.fields}`", row.category, row.purpose,
                     row.basis, row.retention, row.unmasked]  # fmt: skip
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines += ["", "Fields whose names look personal but hold no personal data:", ""]
    lines += ["| field | why it is not personal data |", "|---|---|"]
    lines += [f"| `{key}` | {_cell(why)} |" for key, why in NOT_PERSONAL.items()]
    return "\n".join(lines)


def written_docs(current: str) -> str:
    """docs/privacy.md as `manage.py privacy_docs` writes it: the hand-written text kept, the
    table between the markers replaced."""
    head, start, rest = current.partition(START)
    _old, end, tail = rest.partition(END)
    if not start or not end:
        raise ValueError(f"docs/privacy.md lacks its markers {START!r} and {END!r}")
    return f"{head}{START}\n{markdown_table()}\n{END}{tail}"
