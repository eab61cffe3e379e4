"""`field__in_array=values`: `IN` for a long list of values (docs/scale.md §12.4).

Django writes `IN (%s, %s, …)` with one parameter a value: for the thousands of ids of a sweep's
batch, building and splitting those placeholders costs more CPU than the statement. On
PostgreSQL this lookup sends the list as one array parameter, `field = ANY(%s)`, the same rows
and the same index use; on other databases it is Django's `IN`.
"""

import re

from django.db.models import Field, ForeignObject
from django.db.models.lookups import In


@Field.register_lookup
@ForeignObject.register_lookup  # a foreign key's column, given ids (not instances)
class InArray(In):
    lookup_name = "in_array"

    def as_postgresql(self, compiler, connection):
        if not self.rhs_is_direct_value():
            return super().as_sql(compiler, connection)
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        values = [
            field.get_db_prep_value(value, connection, prepared=True)
            for value in dict.fromkeys(self.rhs)
            if value is not None
        ]
        # Typed as the column (left to itself, the driver types the array by its values), but
        # without a length: a cast to varchar(n) would cut a longer value down to a match.
        array_type = re.sub(r"\(.*\)", "", field.cast_db_type(connection))
        return f"{lhs_sql} = ANY(%s::{array_type}[])", (*lhs_params, values)
