from datetime import datetime
from zoneinfo import ZoneInfo

from portal.lib.isotime import iso_utc


def test_a_hanoi_time_is_written_in_utc_to_the_second_with_z():
    hanoi = datetime(2026, 11, 27, 15, 10, 0, 654321, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    assert iso_utc(hanoi) == "2026-11-27T08:10:00Z"


def test_no_time_stays_none():
    assert iso_utc(None) is None
