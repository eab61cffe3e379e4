"""A calendar month in the portal's time zone, as the monthly report and the statistics'
trend use it (docs/statistics.md §10)."""

from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def of(cls, day: date) -> "Month":
        return cls(day.year, day.month)

    @classmethod
    def previous(cls, today: date) -> "Month":
        return cls(today.year, today.month - 1) if today.month > 1 else cls(today.year - 1, 12)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def next_first_day(self) -> date:
        return date(self.year + self.month // 12, self.month % 12 + 1, 1)

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.next_first_day.toordinal() - 1)

    @property
    def label(self) -> str:
        return f"{self.month:02d}/{self.year}"

    def bounds(self) -> tuple[datetime, datetime]:
        """Midnight of the month's first day and of the next month's, local time."""
        return (
            timezone.make_aware(datetime.combine(self.first_day, datetime.min.time())),
            timezone.make_aware(datetime.combine(self.next_first_day, datetime.min.time())),
        )
