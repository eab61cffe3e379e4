"""What a double click or an over-long reason does: nothing harmful, never a 500."""

import pytest

from requests_app import services
from requests_app.choices import Outcome, Status
from tests.requests_app.letters import draft, letter_at

pytestmark = pytest.mark.django_db


def test_deleting_the_same_row_twice_deletes_it_once_and_keeps_the_numbering(cast):
    letter = draft(cast, rows=3)
    first = letter.rows.get(position=1)

    services.row_delete(row=first, by=cast.clerk_a)
    services.row_delete(row=first, by=cast.clerk_a)  # the second click of a double click

    assert list(letter.rows.order_by("position").values_list("position", flat=True)) == [1, 2]


def test_a_refusal_longer_than_a_rows_note_is_kept_whole_on_the_letter(cast):
    letter = letter_at(cast, Status.PROVINCE_REVIEW)
    reason = "Hồ sơ thiếu giấy tờ. " * 100  # longer than the form allows: cut to 2,000

    services.cert_request_refuse(cert_request=letter, by=cast.officer_1, note=reason[:2000])

    row = letter.rows.get()
    assert row.outcome == Outcome.REFUSED
    assert row.outcome_note == reason[:500]
    assert letter.transitions.get(action="refuse").note == reason[:2000]
