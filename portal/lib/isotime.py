"""Times as other systems read them: ISO 8601 in UTC, to the second, with `Z` (the signed
webhooks' payloads, docs/webhooks.md)."""

from datetime import UTC, datetime


def iso_utc(value: datetime | None) -> str | None:
    """`2026-11-27T08:10:00Z` for an aware datetime, whatever its zone; None stays None."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
