"""The masks of personal data (docs/privacy.md §masking) and who may see a value in full."""

from datetime import date

import pytest

from privacy.masking import is_masked, mask_date, mask_id, mask_phone, masked, may_unmask
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_an_id_number_keeps_its_last_four_digits_only():
    assert mask_id("001085012345") == "********2345"
    assert mask_id("") == ""


def test_a_birth_date_keeps_its_year_only():
    assert mask_date(date(1985, 5, 17)) == "**/**/1985"
    assert mask_date(None) == ""


def test_a_phone_keeps_its_first_and_last_three_digits():
    assert mask_phone("0912345678") == "091****678"
    assert mask_phone("12345") == "*****"


def test_only_ids_dates_and_phones_of_declared_fields_are_masked():
    assert is_masked("agencies.Person.national_id")
    assert is_masked("requests_app.RequestRow.mobile")
    assert not is_masked("agencies.Person.full_name")
    assert not is_masked("agencies.Nothing.national_id")
    assert masked("requests_app.RequestRow.date_of_birth", date(1990, 1, 2)) == "**/**/1990"


def test_a_person_may_see_their_own_values_and_a_stranger_may_not(cast):
    own = cast.subscriber
    key = "agencies.Person.national_id"
    assert may_unmask(cast.subscriber_user, key, subject_person_id=own.pk)
    other = f.PersonFactory(organization=cast.agency_a)
    assert not may_unmask(cast.subscriber_user, key, subject_person_id=other.pk)
    assert may_unmask(cast.clerk_a, key, subject_person_id=other.pk)
    assert not may_unmask(cast.clerk_a, "agencies.Person.shoe_size")
