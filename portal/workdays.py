"""The working-day calendar: the `holidays` library for Vietnam, corrected by CalendarOverride.

A day is a working day when, in order of precedence:
1. a CalendarOverride row exists for it: its `is_working_day` decides;
2. the library lists it as a weekend day worked in exchange (`weekend_workdays`): working;
3. the library lists it as a holiday (substitute and observed days included): off;
4. otherwise: off on Saturday and Sunday, working Monday to Friday.

Deadlines follow Civil Code Art. 147–148: counting starts the day after the event, and a
deadline never lands on a day off. Every public function reads the overrides it needs in one
query, whatever the span.
"""

import functools
from collections.abc import Iterable
from datetime import date, datetime, timedelta

import holidays
from django.utils import timezone

from portal.models import CalendarOverride

WEEKEND = frozenset({5, 6})  # Saturday, Sunday

# A count reads windows of 2n + 31 days, each twice as long as the last, and at most this many:
# for n = 0 that is 31 × (2⁷ − 1) = 3,937 days, more than ten years. Overrides closing a longer
# stretch are a mistake in the calendar; the count refuses them (ValueError) instead of reading
# ever longer windows until the dates run out.
WINDOWS = 7


def is_working_day(d: date) -> bool:
    d = _as_date(d)
    return _Calendar(d, d).is_working(d)


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after `start` (`start` itself is not counted).

    n = 0 returns `start` if it is a working day, else the next working day: a time limit of
    "the same day" that falls on a day off moves to the next working day (Art. 148).
    A negative n raises ValueError, and so does a calendar with no working day in the
    windows read (WINDOWS).
    """
    start = _as_date(start)
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    day = start if n == 0 else start + timedelta(days=1)
    remaining = max(n, 1)
    # Working days are more than half of any stretch of 2n + 31 days (the longest run of days
    # off is Tết, about ten), so one window almost always suffices; the loop covers admin
    # overrides that close a long stretch.
    window = 2 * n + 31
    for _ in range(WINDOWS):
        calendar = _Calendar(day, day + timedelta(days=window - 1))
        for offset in range(window):
            current = day + timedelta(days=offset)
            if calendar.is_working(current):
                remaining -= 1
                if remaining == 0:
                    return current
        day += timedelta(days=window)
        window *= 2
    raise ValueError(
        f"fewer than {max(n, 1)} working days in the {(day - start).days} days from {start}"
    )


def add_working_days_each(starts: Iterable[date], n: int) -> dict[date, date]:
    """`add_working_days(start, n)` for many starts at once, as {start: due date}.

    The overrides of the whole span are read in one query, however many starts and however
    far apart (a sweep opening thousands of deadlines, docs/scale.md §12.4); a start
    whose count runs past that span (overrides closing a long stretch) is counted alone.
    """
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    days = sorted({_as_date(start) for start in starts})
    if not days:
        return {}
    window = 2 * n + 31
    last = days[-1] + timedelta(days=window)
    calendar = _Calendar(days[0], last)
    due: dict[date, date] = {}
    for start in days:
        day = start if n == 0 else start + timedelta(days=1)
        remaining = max(n, 1)
        while day <= last:
            if calendar.is_working(day):
                remaining -= 1
                if remaining == 0:
                    due[start] = day
                    break
            day += timedelta(days=1)
        else:
            due[start] = add_working_days(start, n)
    return due


def working_days_between(start: date, end: date) -> int:
    """The number of working days in (start, end]: after `start`, up to and including `end`.

    So `working_days_between(start, add_working_days(start, n)) == n` for n >= 1.
    Antisymmetric: when end < start the result is minus the count in (end, start]; it is 0
    when end == start.
    """
    start, end = _as_date(start), _as_date(end)
    if end < start:
        return -working_days_between(end, start)
    if end == start:
        return 0
    first = start + timedelta(days=1)
    calendar = _Calendar(first, end)
    return sum(
        calendar.is_working(first + timedelta(days=offset))
        for offset in range((end - first).days + 1)
    )


def working_days_back(end: date, n: int) -> date:
    """The n-th working day counting back from `end` (`end` itself counts if it is one).

    So a deadline due on `due` is at least n working days overdue on `end` exactly when
    `due < working_days_back(end, n)`: the sweeps compare due dates to this cutoff in SQL.
    n must be at least 1; a calendar with no working day in the windows read (WINDOWS) raises
    ValueError.
    """
    end = _as_date(end)
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    window = 2 * n + 31
    day, remaining = end, n
    for _ in range(WINDOWS):
        calendar = _Calendar(day - timedelta(days=window - 1), day)
        for offset in range(window):
            current = day - timedelta(days=offset)
            if calendar.is_working(current):
                remaining -= 1
                if remaining == 0:
                    return current
        day -= timedelta(days=window)
        window *= 2
    raise ValueError(f"fewer than {n} working days in the {(end - day).days} days up to {end}")


class _Calendar:
    """Working-day answers for dates in [first, last], with the overrides read in one query."""

    def __init__(self, first: date, last: date):
        self.overrides: dict[date, bool] = dict(
            CalendarOverride.objects.filter(date__range=(first, last)).values_list(
                "date", "is_working_day"
            )
        )

    def is_working(self, d: date) -> bool:
        override = self.overrides.get(d)
        if override is not None:
            return override
        days_off, weekend_workdays = _library_year(d.year)
        if d in weekend_workdays:
            return True
        if d in days_off:
            return False
        return d.weekday() not in WEEKEND


@functools.lru_cache(maxsize=64)
def _library_year(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """The library's days off and worked weekend days of one year, built once per process.

    A swap can cross the new year (Saturday 27/12/2014 worked for Friday 2/1/2015), and the
    library files it under the later year, so that year is asked too.
    """
    this_year = holidays.country_holidays("VN", years=year)
    next_year = holidays.country_holidays("VN", years=year + 1)
    days_off = frozenset(d for d in this_year if d.year == year)
    weekend_workdays = frozenset(
        d
        for calendar in (this_year, next_year)
        for d in getattr(calendar, "weekend_workdays", ())
        if d.year == year
    )
    return days_off, weekend_workdays


def _as_date(value: date) -> date:
    """A datetime counts as its date in the portal's time zone (the legal day, not UTC's)."""
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value
