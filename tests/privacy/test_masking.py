"""The masks of personal data (docs/privacy.md §masking) and who may see a value in full."""

from datetime import date

import pytest

from privacy.inventory import SELF, declared
from privacy.masking import is_masked, mask_date, mask_id, mask_phone, masked, may_unmask
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_an_id_number_keeps_its_last_four_digits_only():
    assert mask_id("001085012345") == "********2345"
    assert mask_id("") == ""


def test_a_value_of_six_characters_or_fewer_is_masked_whole():
    # Keeping four of six would show most of it: the last four only from seven on.
    assert mask_id("123456") == "******"
    assert mask_id("1234567") == "***4567"


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


def test_a_person_sees_their_own_value_only_where_the_inventory_names_them(cast):
    """Being the person a value is about opens it only for fields whose inventory entry lists
    SELF (docs/privacy.md §masking): the blind index of one's own ID number stays closed."""
    own = cast.subscriber.pk
    assert SELF in declared()["agencies.Person.national_id"].unmasked
    assert SELF not in declared()["agencies.Person.national_id_index"].unmasked
    assert may_unmask(cast.subscriber_user, "agencies.Person.national_id", subject_person_id=own)
    assert not may_unmask(
        cast.subscriber_user, "agencies.Person.national_id_index", subject_person_id=own
    )


def test_a_role_opens_full_values_only_for_the_organisation_it_is_held_for(cast):
    key = "agencies.Person.national_id"
    # the head of agency A who is also a clerk of agency B
    f.MembershipFactory(user=cast.head_a, role="agency_clerk", organization=cast.agency_b)
    cast.head_a.__dict__.pop("_portal_scope", None)  # the scope is read once per user object
    in_a = f.PersonFactory(organization=cast.agency_a)
    in_b = f.PersonFactory(organization=cast.agency_b)
    assert not may_unmask(cast.head_a, key, org_path=in_a.organization.path)
    assert may_unmask(cast.head_a, key, org_path=in_b.organization.path)
    # an administrator who is a clerk of agency A opens agency A only
    f.MembershipFactory(user=cast.admin, role="agency_clerk", organization=cast.agency_a)
    cast.admin.__dict__.pop("_portal_scope", None)
    in_c = f.PersonFactory(organization=cast.agency_c)
    assert may_unmask(cast.admin, key, org_path=in_a.organization.path)
    assert not may_unmask(cast.admin, key, org_path=in_c.organization.path)
    # the CA operator's role covers what reaches the CA, wherever it comes from
    assert may_unmask(cast.ca_operator, key, org_path=in_c.organization.path)
