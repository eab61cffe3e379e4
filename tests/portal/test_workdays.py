"""The working-day calendar, pinned to real dates worked out by hand from the official decisions.

Tết 2026 for civil servants: Saturday 14/2 – Sunday 22/2/2026. 2025: Saturday 26/4 worked for
Friday 2/5; 1–2/9 off. 2026: Giỗ Tổ (Sunday 26/4) made up on Monday 27/4; 30/4–1/5 off;
31/8 swapped with Saturday 22/8; 1–2/9 off.
"""

import importlib
from datetime import UTC, date, datetime, timedelta

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.models import AuditEvent, CalendarOverride
from portal.workdays import (
    add_working_days,
    add_working_days_each,
    is_working_day,
    working_days_back,
    working_days_between,
)
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def test_every_day_of_tet_2026_is_off_for_civil_servants():
    assert [d for d in days(date(2026, 2, 14), date(2026, 2, 22)) if is_working_day(d)] == []
    assert is_working_day(date(2026, 2, 13))  # Friday before
    assert is_working_day(date(2026, 2, 23))  # Monday after


def test_a_five_working_day_deadline_from_friday_13_2_2026_lands_on_friday_27_2_2026():
    # Counting starts on 14/2; 14–22/2 are off; 23, 24, 25, 26 and 27/2 are the five days.
    assert add_working_days(date(2026, 2, 13), 5) == date(2026, 2, 27)


def test_reunification_and_labour_day_2026_are_off():
    assert not is_working_day(date(2026, 4, 30))
    assert not is_working_day(date(2026, 5, 1))
    assert is_working_day(date(2026, 4, 29))
    assert add_working_days(date(2026, 4, 29), 1) == date(2026, 5, 4)


def test_national_day_2026_and_the_swapped_monday_before_it_are_off():
    assert not is_working_day(date(2026, 9, 2))
    assert not is_working_day(date(2026, 9, 1))
    assert not is_working_day(date(2026, 8, 31))
    assert is_working_day(date(2026, 8, 22))  # the Saturday worked in exchange for 31/8
    assert add_working_days(date(2026, 8, 28), 1) == date(2026, 9, 3)


def test_the_hung_kings_day_2026_falls_on_sunday_and_monday_27_4_is_off_instead():
    assert not is_working_day(date(2026, 4, 27))
    assert add_working_days(date(2026, 4, 24), 1) == date(2026, 4, 28)


def test_saturday_26_4_2025_was_worked_in_exchange_for_friday_2_5_2025():
    assert is_working_day(date(2025, 4, 26))
    assert not is_working_day(date(2025, 5, 2))
    assert add_working_days(date(2025, 4, 25), 1) == date(2025, 4, 26)
    assert add_working_days(date(2025, 4, 29), 1) == date(2025, 5, 5)


def test_one_working_day_after_friday_29_8_2025_is_wednesday_3_9_2025():
    # 30–31/8 weekend, 1–2/9 National Day.
    assert add_working_days(date(2025, 8, 29), 1) == date(2025, 9, 3)


def test_a_swap_across_the_new_year_is_known_on_both_sides():
    # Saturday 27/12/2014 was worked in exchange for Friday 2/1/2015.
    assert is_working_day(date(2014, 12, 27))
    assert not is_working_day(date(2015, 1, 2))


def test_the_seeded_new_year_2026_swap_moves_2_1_off_and_10_1_on():
    seed = importlib.import_module("portal.migrations.0004_seed_calendar_overrides").seed
    seed(django_apps, None)  # idempotent; transactional tests elsewhere may have flushed it

    assert not is_working_day(date(2026, 1, 2))
    assert is_working_day(date(2026, 1, 10))
    # 1/1 holiday, 2/1 swapped off, 3–4/1 weekend.
    assert add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 5)
    # Saturday 10/1 worked, Sunday 11/1 off, Monday 12/1.
    assert working_days_between(date(2026, 1, 9), date(2026, 1, 12)) == 2


def test_an_administrator_override_turning_a_working_day_off_moves_the_deadline():
    assert add_working_days(date(2026, 2, 13), 5) == date(2026, 2, 27)
    CalendarOverride.objects.create(date=date(2026, 2, 25), is_working_day=False, note="Nghỉ bù")

    assert not is_working_day(date(2026, 2, 25))
    assert add_working_days(date(2026, 2, 13), 5) == date(2026, 3, 2)


def test_an_override_turning_a_saturday_into_a_working_day_counts_it():
    CalendarOverride.objects.create(
        date=date(2026, 3, 7), is_working_day=True, note="Làm bù thứ Bảy"
    )
    assert add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 7)


def test_an_override_wins_over_a_library_holiday():
    CalendarOverride.objects.create(date=date(2026, 4, 30), is_working_day=True)
    assert is_working_day(date(2026, 4, 30))


def test_zero_working_days_is_the_day_itself_or_the_next_working_day():
    assert add_working_days(date(2026, 2, 13), 0) == date(2026, 2, 13)
    assert add_working_days(date(2026, 2, 14), 0) == date(2026, 2, 23)


def test_a_negative_number_of_working_days_is_refused():
    with pytest.raises(ValueError, match="^n must not be negative, got -1$"):
        add_working_days(date(2026, 2, 13), -1)
    with pytest.raises(ValueError, match="^n must not be negative, got -1$"):
        add_working_days_each([date(2026, 2, 13)], -1)


def test_counting_back_needs_at_least_one_working_day_and_one_is_the_day_itself():
    with pytest.raises(ValueError, match="^n must be at least 1, got 0$"):
        working_days_back(date(2026, 3, 10), 0)
    assert working_days_back(date(2026, 3, 10), 1) == date(2026, 3, 10)


def test_a_datetime_counts_as_its_date_in_vietnam_not_in_utc():
    # 18:00 UTC on Friday 13/2 is 01:00 on Saturday 14/2 in Hà Nội: the first day of Tết.
    evening = datetime(2026, 2, 13, 18, 0, tzinfo=UTC)
    assert not is_working_day(evening)
    assert add_working_days(evening, 0) == date(2026, 2, 23)


def test_working_days_between_counts_the_days_after_start_up_to_end():
    assert working_days_between(date(2026, 3, 2), date(2026, 3, 9)) == 5  # Monday to Monday
    assert working_days_between(date(2026, 2, 13), date(2026, 2, 27)) == 5
    assert working_days_between(date(2025, 8, 29), date(2025, 9, 3)) == 1
    assert working_days_between(date(2026, 2, 14), date(2026, 2, 22)) == 0


def test_working_days_between_is_zero_on_the_same_day_and_negative_backwards():
    assert working_days_between(date(2026, 2, 27), date(2026, 2, 27)) == 0
    assert working_days_between(date(2026, 2, 27), date(2026, 2, 13)) == -5


def test_2025_had_250_working_days():
    # 261 weekdays, minus 12 weekday holidays (1/1; 27–31/1; 7/4; 30/4; 1/5; 2/5; 1/9; 2/9),
    # plus Saturday 26/4 worked.
    assert working_days_between(date(2024, 12, 31), date(2025, 12, 31)) == 250


def test_each_call_reads_the_overrides_in_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        add_working_days(date(2026, 2, 13), 30)
    with django_assert_num_queries(1):
        working_days_between(date(2024, 1, 1), date(2026, 12, 31))
    with django_assert_num_queries(1):
        is_working_day(date(2026, 2, 16))


def test_a_deadline_still_lands_when_overrides_close_a_long_stretch():
    CalendarOverride.objects.bulk_create(
        CalendarOverride(date=d, is_working_day=False)
        for d in days(date(2026, 3, 1), date(2026, 5, 31))
    )
    assert add_working_days(date(2026, 2, 27), 1) == date(2026, 6, 1)


def test_an_override_added_in_the_admin_moves_deadlines_and_is_audited(client, cast):
    sign_in(client, cast.admin)

    response = client.post(
        reverse("admin:portal_calendaroverride_add"),
        {"date": "2026-02-25", "note": "Nghỉ bù"},  # unchecked box: a day off
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert add_working_days(date(2026, 2, 13), 5) == date(2026, 3, 2)
    event = AuditEvent.objects.get(action="calendar_override.create")
    assert event.actor_label == "admin"
    assert event.after == {"date": "2026-02-25", "is_working_day": False, "note": "Nghỉ bù"}


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    start=st.dates(min_value=date(2014, 1, 1), max_value=date(2030, 12, 31)),
    n=st.integers(min_value=0, max_value=30),
)
def test_working_days_between_undoes_add_working_days(start, n):
    deadline = add_working_days(start, n)

    assert deadline >= start
    assert is_working_day(deadline)
    if n >= 1:
        assert deadline > start
        assert working_days_between(start, deadline) == n
        assert working_days_between(start, deadline - timedelta(days=1)) == n - 1
    else:  # the day itself if it is worked, else the next working day: one working day on
        assert working_days_between(start, deadline) == (0 if is_working_day(start) else 1)


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    starts=st.lists(st.dates(min_value=date(2014, 1, 1), max_value=date(2030, 12, 31)), max_size=8),
    n=st.integers(min_value=0, max_value=10),
)
def test_add_working_days_each_gives_what_add_working_days_gives_each_start(starts, n):
    assert add_working_days_each(starts, n) == {
        start: add_working_days(start, n) for start in starts
    }


def test_add_working_days_each_reads_the_overrides_once_for_years_of_starts(
    django_assert_num_queries,
):
    starts = [date(2026, 1, 1) + timedelta(days=7 * i) for i in range(100)]
    with django_assert_num_queries(1):
        due = add_working_days_each([*starts, date(2026, 2, 13)], 5)
    assert due[date(2026, 2, 13)] == date(2026, 2, 27)  # across Tết
    assert len(due) == 101


def test_counting_back_reaches_past_a_long_stretch_closed_by_overrides():
    # Every day from 02/03 to 22/05/2026 closed: counting back one working day from Friday
    # 22/05 goes past the first windows the count reads (each of 2n + 31 days), whose
    # earliest day, Monday 20/04, is a weekday closed only by its override.
    CalendarOverride.objects.bulk_create(
        CalendarOverride(date=d, is_working_day=False)
        for d in days(date(2026, 3, 2), date(2026, 5, 22))
    )
    expected = date(2026, 3, 1)
    while not is_working_day(expected):
        expected -= timedelta(days=1)

    assert working_days_back(date(2026, 5, 22), 1) == expected
    assert working_days_back(date(2026, 5, 22), 2) < expected


def test_add_working_days_each_still_lands_when_overrides_close_a_long_stretch():
    CalendarOverride.objects.bulk_create(
        CalendarOverride(date=d, is_working_day=False)
        for d in days(date(2026, 3, 1), date(2026, 5, 31))
    )
    assert add_working_days_each([date(2026, 2, 27), date(2026, 1, 5)], 1) == {
        date(2026, 2, 27): date(2026, 6, 1),
        date(2026, 1, 5): date(2026, 1, 6),
    }


def close(first: date, last: date, *, then_open: date) -> None:
    """Overrides closing every day of [first, last] and opening `then_open` (over the official
    swaps the migrations recorded)."""
    CalendarOverride.objects.bulk_create(
        [
            *(CalendarOverride(date=d, is_working_day=False) for d in days(first, last)),
            CalendarOverride(date=then_open, is_working_day=True),
        ],
        update_conflicts=True,
        unique_fields=["date"],
        update_fields=["is_working_day"],
    )


# A count reads at most seven windows, each twice the last: for n = 0 (windows of 31 days)
# they cover 31 × 127 = 3,937 days, the start and the 3,936 after it.
SPAN_FORWARD = 3937


def test_a_count_finds_the_last_day_of_its_last_window():
    start = date(2026, 1, 5)
    last = start + timedelta(days=SPAN_FORWARD - 1)
    close(start, last - timedelta(days=1), then_open=last)

    assert add_working_days(start, 0) == last


def test_a_count_refuses_a_calendar_closed_past_its_last_window():
    start = date(2026, 1, 5)
    last = start + timedelta(days=SPAN_FORWARD - 1)
    close(start, last, then_open=last + timedelta(days=1))

    with pytest.raises(ValueError, match="fewer than 1 working days in the 3937 days from"):
        add_working_days(start, 0)


# Counting one day back reads windows of 33 days: 33 × 127 = 4,191 days, the end included.
SPAN_BACK = 4191


def test_counting_back_finds_the_first_day_of_its_last_window():
    end = date(2026, 5, 22)
    first = end - timedelta(days=SPAN_BACK - 1)
    close(first + timedelta(days=1), end, then_open=first)

    assert working_days_back(end, 1) == first


def test_counting_back_refuses_a_calendar_closed_past_its_last_window():
    end = date(2026, 5, 22)
    first = end - timedelta(days=SPAN_BACK - 1)
    close(first, end, then_open=first - timedelta(days=1))

    with pytest.raises(ValueError, match="fewer than 1 working days in the 4191 days up to"):
        working_days_back(end, 1)
