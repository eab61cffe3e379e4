"""Dates within sane bounds: a birth date from 1900 to 16 years before today, an identity
document issued from 1900 and not in the future — in the row rules (page, import, submit)
and in the letter's contact block. 01/01/0001 and 31/12/9999 are refused, not stored."""

from datetime import date, timedelta

import pytest
import time_machine

from requests_app import services
from requests_app.exceptions import RowInvalid
from tests.factories import letter_draft, letter_row_add

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 22)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel("2026-11-22 09:00 +07:00", tick=False):
        yield


@pytest.mark.parametrize(
    ("born", "accepted"),
    [
        (date(1, 1, 1), False),
        (date(1899, 12, 31), False),
        (date(1900, 1, 1), True),
        (date(2010, 11, 22), True),  # sixteen today
        (date(2010, 11, 23), False),  # sixteen tomorrow
        (date(9999, 12, 31), False),
    ],
)
def test_a_birth_date_must_be_from_1900_to_16_years_ago(cast, born, accepted):
    letter = letter_draft(cast)
    if accepted:
        row = letter_row_add(letter, cast.clerk_a, date_of_birth=born)
        assert row.date_of_birth == born
        return
    with pytest.raises(RowInvalid) as refused:
        letter_row_add(letter, cast.clerk_a, date_of_birth=born)
    assert "date_of_birth" in refused.value.errors
    assert not letter.rows.exists()


@pytest.mark.parametrize(
    ("issued", "accepted"),
    [
        (date(1899, 12, 31), False),
        (TODAY, True),
        (TODAY + timedelta(days=1), False),
        (date(9999, 12, 31), False),
    ],
)
def test_an_id_issue_date_may_not_be_in_the_future(cast, issued, accepted):
    letter = letter_draft(cast)
    if accepted:
        assert letter_row_add(letter, cast.clerk_a, id_issue_date=issued).id_issue_date == issued
        return
    with pytest.raises(RowInvalid) as refused:
        letter_row_add(letter, cast.clerk_a, id_issue_date=issued)
    assert "id_issue_date" in refused.value.errors


def test_the_contact_blocks_issue_date_may_not_be_in_the_future(cast):
    from django.core.exceptions import ValidationError

    letter = letter_draft(cast)
    with pytest.raises(ValidationError) as refused:
        services.cert_request_update(
            cert_request=letter,
            by=cast.clerk_a,
            data={"contact_id_issue_date": TODAY + timedelta(days=1)},
        )
    assert "contact_id_issue_date" in refused.value.message_dict
    letter.refresh_from_db()
    assert letter.contact_id_issue_date is None
