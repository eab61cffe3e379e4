"""Personal data masked on screen and in exports (docs/privacy.md §masking).

ID numbers, dates of birth and of an ID's issue, and phone numbers are shown masked in every
list, page, export and API answer; a value in full is a deliberate act (a reveal with a reason,
an export with full values asked for, a document that must carry it) allowed to the roles the
inventory names for that field (`privacy/inventory.py`, `unmasked`), within what the user sees
(`visible_to`), and recorded in the access log (`privacy.access`).

The masks keep what a reader needs to tell two people apart or to check a value they already
have: the last four digits of an ID, the year of birth, the first three and last three digits
of a phone. A masked value is never a valid value (it holds `*`), so it cannot be written back
as one by an import of an exported file.
"""

from datetime import date

from agencies.access import scope_for
from privacy.inventory import SELF, declared

MASK = "*"


def mask_id(value) -> str:
    """`********1234`: the last four characters of an ID number."""
    text = str(value or "")
    if not text:
        return ""
    keep = 4 if len(text) > 6 else 0
    return MASK * (len(text) - keep) + text[len(text) - keep :]


def mask_date(value) -> str:
    """`**/**/1985`: the year only."""
    if not value:
        return ""
    year = value.year if isinstance(value, date) else str(value)[:4]
    return f"{MASK * 2}/{MASK * 2}/{year}"


def mask_phone(value) -> str:
    """`091****678`: the first three and last three digits."""
    text = str(value or "")
    if len(text) <= 6:
        return MASK * len(text)
    return text[:3] + MASK * (len(text) - 6) + text[-3:]


# Which fields are masked, by the last part of their name, and how.
MASKS = {
    "national_id": mask_id,
    "contact_national_id": mask_id,
    "date_of_birth": mask_date,
    "id_issue_date": mask_date,
    "contact_id_issue_date": mask_date,
    "mobile": mask_phone,
    "contact_mobile": mask_phone,
    "phone": mask_phone,
}


def is_masked(field_key: str) -> bool:
    """Whether the inventory's field `app.Model.field` is shown masked by default."""
    return field_key.rsplit(".", 1)[-1] in MASKS and field_key in declared()


def masked(field_key: str, value) -> str:
    """`value` of the field `app.Model.field` as lists and exports show it."""
    return MASKS[field_key.rsplit(".", 1)[-1]](value)


def may_unmask(user, field_key: str, *, subject_person_id: int | None = None) -> bool:
    """Whether `user` may see the field in full: a role the inventory names for it (the caller
    has already scoped the record with `visible_to`), or the person the value is about when
    the inventory lets them (SELF)."""
    entry = declared().get(field_key)
    if entry is None:
        return False
    scope = scope_for(user)
    own = subject_person_id is not None and subject_person_id == scope.person_id
    if own and SELF in entry.unmasked:
        return True
    # The roles held, not `has_role`: being an administrator does not open personal data.
    return bool(scope.roles.intersection(entry.unmasked))
