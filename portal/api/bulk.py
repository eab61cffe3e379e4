"""What the bulk endpoints share (docs/api.md §9): a list of rows whose length is
checked before any row is read, so an oversized batch is refused at once (400)."""

from rest_framework import serializers


class BoundedRows(serializers.ListField):
    """`rows`: at least one, at most `max_length`; the count is checked first."""

    def to_internal_value(self, data):
        if isinstance(data, list) and self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)
