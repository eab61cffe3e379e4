"""Counting related rows for a list's page (docs/scale.md §12.2)."""

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce


def count_of(related: QuerySet, parent: str):
    """How many rows of `related` point at the outer row through `parent` (a foreign key
    name), as a correlated subquery: evaluated for the page's rows only, where a join with
    GROUP BY would aggregate every row of the scope before the LIMIT; 0 when there are none."""
    counted = (
        related.filter(**{parent: OuterRef("pk")})
        .order_by()
        .values(parent)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)
