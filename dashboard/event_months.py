"""Certificate events counted per month for the statistics page's twelve-month trend
(docs/statistics.md §10, "Ended months are tallied once").

Nationwide, a month that has ended never changes: certificate events are only ever appended,
stamped with the moment they happen (`certificates.services`). So its counts are written once
by the worker (`dashboard.services.certificate_event_months_tally`, a daily beat task), and the
page reads them; the months still open, and an ended month the worker has not tallied yet, are
counted from the events, through the index on their time. A page never writes (a GET changes
nothing). A narrower scope keeps counting every month from the events: a merger moves
certificates between agencies, so a province's past months can change.
"""

from datetime import date, datetime, timedelta

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import Count, DateTimeField, F, Func, IntegerField, Value
from django.db.models.functions import TruncMonth

from certificates.choices import CertEventKind
from certificates.models import CertificateEvent
from dashboard.models import CertificateEventMonth
from dashboard.months import Month

# A month is tallied only from the second day of the next one: an event stamped just before
# midnight may still be committing at the turn of the month.
SETTLING = timedelta(days=1)
# The trend's length: this month and the eleven before it.
MONTHS = 12


def trend_months(today: date) -> list[date]:
    """The first days of the last MONTHS months, oldest first, this month included."""
    year, month = today.year, today.month
    firsts = []
    for _step in range(MONTHS):
        firsts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return firsts[::-1]


def has_settled(month: date, now: datetime) -> bool:
    """Whether `month` (its first day) has ended long enough ago to be tallied for good."""
    return now >= Month.of(month).bounds()[1] + SETTLING


class _MonthOf(Func):
    """The index (1-based) of the month an instant falls in, among the months starting at
    `bounds` (PostgreSQL's width_bucket over an array of instants): a binary search per row
    instead of a time-zone conversion and a truncation."""

    function = "width_bucket"
    output_field = IntegerField()

    def __init__(self, expression, bounds: list[datetime]):
        super().__init__(expression, Value(bounds, output_field=ArrayField(DateTimeField())))


def events_per_month(events, months: list[date]) -> dict[tuple[date, str], int]:
    """{(first day of the month, kind): count} of `events` over `months` (consecutive, oldest
    first), in one grouped query."""
    found: dict[tuple[date, str], int] = {}
    if not months:
        return found
    starts = [Month.of(m).bounds()[0] for m in months]
    end = Month.of(months[-1]).bounds()[1]
    events = events.filter(at__gte=starts[0], at__lt=end)
    if connection.vendor == "postgresql":
        bounds = [*starts, end]
        counted = (
            events.annotate(bucket=_MonthOf(F("at"), bounds))
            .order_by()
            .values_list("bucket", "kind")
            .annotate(n=Count("pk"))
        )
        for bucket, kind, n in counted:
            if 1 <= bucket <= len(months):
                found[(months[bucket - 1], kind)] = n
        return found
    counted = (  # the demo's SQLite
        events.annotate(month=TruncMonth("at"))
        .order_by()
        .values_list("month", "kind")
        .annotate(n=Count("pk"))
    )
    for month, kind, n in counted:
        key = month.date() if isinstance(month, datetime) else month
        found[(key.replace(day=1), kind)] = n
    return found


def nationwide_per_month(months: list[date], now: datetime) -> dict[tuple[date, str], int]:
    """`events_per_month` of every certificate event (the expiries left out, as the page
    shows them): settled months from their tally (written by the worker), the others, and a
    settled month not tallied yet, counted from the events. Writes nothing."""
    settled = [m for m in months if has_settled(m, now)]
    found = {
        (month, kind): n
        for month, kind, n in CertificateEventMonth.objects.filter(month__in=settled).values_list(
            "month", "kind", "n"
        )
    }
    tallied = {month for month, _kind in found}
    # From the oldest month without a tally on: consecutive months, as `events_per_month`
    # needs (a tallied month among them is counted again, to the same figures).
    first = next((i for i, m in enumerate(months) if m not in tallied), len(months))
    found.update(
        events_per_month(
            CertificateEvent.objects.exclude(kind=CertEventKind.EXPIRED), months[first:]
        )
    )
    return found


def untallied_months(months: list[date], now: datetime) -> list[date]:
    """The settled months of `months` that have no tally yet (for the worker to write)."""
    settled = [m for m in months if has_settled(m, now)]
    tallied = set(
        CertificateEventMonth.objects.filter(month__in=settled).values_list("month", flat=True)
    )
    return [m for m in settled if m not in tallied]
