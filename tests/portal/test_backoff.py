"""The outboxes' wait before the next try: base, doubled, capped."""

from datetime import timedelta

from portal.lib.backoff import doubling_backoff


def test_the_wait_doubles_from_the_base_and_stops_at_the_cap():
    waits = [doubling_backoff(n, base=30, most=200) for n in (0, 1, 2, 3, 4, 5)]
    assert waits == [timedelta(seconds=s) for s in (30, 30, 60, 120, 200, 200)]
