"""When the Sở KH&CN forwards a letter, the CA's clock starts: 3 working days from the day of
forwarding (docs/domain.md §4; settings.PORTAL_PROCESSING_WORKING_DAYS), weekends and public
holidays not counted. The dates are written out, not computed with the calendar under test."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from requests_app import services
from requests_app.choices import FormKind, Status
from tests.requests_app.letters import letter_at

pytestmark = pytest.mark.django_db

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=VIETNAM)


def forwarded_on(cast, time_machine, received: date, forwarded: date, form=FormKind.ISSUE_PERSON):
    time_machine.move_to(at(received))
    cert_request = letter_at(cast, Status.PROVINCE_REVIEW, form)
    time_machine.move_to(at(forwarded))
    services.cert_request_forward(cert_request=cert_request, by=cast.officer_1)
    cert_request.refresh_from_db()
    assert cert_request.status == Status.FORWARDED
    assert cert_request.received_on == forwarded
    return cert_request


def test_forwarded_on_a_friday_it_is_due_on_wednesday(cast, time_machine):
    cert_request = forwarded_on(cast, time_machine, date(2026, 3, 4), date(2026, 3, 6))

    assert cert_request.due_on == date(2026, 3, 11)  # Mon 9, Tue 10, Wed 11


def test_forwarded_before_a_weekend_and_the_hung_kings_day_it_is_due_three_working_days_on(
    cast, time_machine
):
    # Thursday 23/4/2026: Fri 24 counts; Sat 25, Sun 26 and Mon 27 (the Hùng Kings' day,
    # moved off Sunday) do not; Tue 28 and Wed 29 do.
    cert_request = forwarded_on(cast, time_machine, date(2026, 4, 20), date(2026, 4, 23))

    assert cert_request.due_on == date(2026, 4, 29)


def test_the_province_deadline_is_replaced_not_kept(cast, time_machine):
    # Received on Monday 20/4 the province had until Thursday 23/4; forwarded that day, the
    # CA's own three working days start again.
    time_machine.move_to(at(date(2026, 4, 20)))
    cert_request = letter_at(cast, Status.PROVINCE_REVIEW)
    assert cert_request.due_on == date(2026, 4, 23)
    time_machine.move_to(at(date(2026, 4, 23)))

    services.cert_request_forward(cert_request=cert_request, by=cast.officer_1)

    cert_request.refresh_from_db()
    assert cert_request.due_on == date(2026, 4, 29)


def test_the_number_of_working_days_is_a_setting(cast, time_machine, settings):
    settings.PORTAL_PROCESSING_WORKING_DAYS = 4
    # Thu 23/4: Fri 24, Tue 28, Wed 29, then 30/4 and 1/5 are holidays and 2–3/5 a weekend.
    cert_request = forwarded_on(cast, time_machine, date(2026, 4, 20), date(2026, 4, 23))

    assert cert_request.due_on == date(2026, 5, 4)


def test_a_revocation_letter_gets_the_same_three_working_days(cast, time_machine):
    cert_request = forwarded_on(
        cast, time_machine, date(2026, 4, 20), date(2026, 4, 23), form=FormKind.REVOKE
    )

    assert cert_request.due_on == date(2026, 4, 29)
