"""`ChoiceLabels`: `get_<field>_display()` from a table built once per field.

Django's own `get_<field>_display()` rebuilds the field's value → label dictionary on every
call, hashing every label on the way, and hashing a translatable label translates it: a
letter's status shown in a list of 50 costs 50 × (number of statuses) translations. A list
page spent a tenth of its CPU there (docs/scale.md §12.7). The table here keeps the lazy
labels, so the label is still translated into the language of the request that shows it.

Only for fields whose choices are fixed (`TextChoices`), which is all of the portal's."""

from django.db import models
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable

_tables: dict[models.Field, dict] = {}


def _table(field: models.Field) -> dict:
    table = _tables.get(field)
    if table is None:
        table = _tables[field] = {make_hashable(value): label for value, label in field.flatchoices}
    return table


class ChoiceLabels:
    """A model mixin, listed before `models.Model`: the same labels as Django's, looked up."""

    def _get_FIELD_display(self, field):  # noqa: N802 - the name Django calls
        value = getattr(self, field.attname)
        return force_str(_table(field).get(make_hashable(value), value), strings_only=True)
