"""Calendar arithmetic for validity periods (Decree 68 Art. 9 counts in years)."""

from datetime import datetime


def add_years(value: datetime, years: int) -> datetime:
    """The same day and time `years` later; 29 February becomes 28 February."""
    try:
        return value.replace(year=value.year + years)
    except ValueError:
        return value.replace(year=value.year + years, day=28)
