"""`Revealer.html` and `Revealer.may_reveal` (privacy/reveal.py; docs/privacy.md §6): a value
the inventory lets its own person see in full (SELF) offers that person the reveal, and
nobody else for being a person too; no value shows nothing; a record not saved gets no
control; the control returns to the page it was drawn on."""

import pytest

from privacy.masking import masked
from privacy.reveal import Revealer, masked_html
from tests import factories as f

pytestmark = pytest.mark.django_db

# A person's mobile: shown in full to clerks, officers, the CA and the person (SELF); the
# subscriber of the cast holds none of those roles.
MOBILE = "agencies.Person.mobile"


def test_a_person_may_reveal_a_value_about_themselves_the_inventory_lets_them_see(cast):
    revealer = Revealer(cast.subscriber_user)

    assert revealer.may_reveal(MOBILE, subject_person_id=cast.subscriber.pk) is True


def test_a_person_may_not_reveal_the_same_value_about_someone_else(cast):
    other = f.PersonFactory(organization=cast.agency_a)
    revealer = Revealer(cast.subscriber_user)

    assert revealer.may_reveal(MOBILE, subject_person_id=other.pk) is False
    assert revealer.may_reveal(MOBILE) is False
    # asked again after their own value, the answer stays theirs alone
    assert revealer.may_reveal(MOBILE, subject_person_id=cast.subscriber.pk) is True
    assert revealer.may_reveal(MOBILE, subject_person_id=other.pk) is False


@pytest.mark.parametrize("value", [None, ""])
def test_no_value_shows_nothing(cast, value):
    assert Revealer(cast.subscriber_user).html(MOBILE, value, pk=1) == ""


def test_a_record_not_saved_shows_the_mask_without_a_control(cast):
    shown = Revealer(cast.subscriber_user, back="/thiet-bi/").html(
        MOBILE, "0912100101", subject_person_id=cast.subscriber.pk
    )

    assert shown == masked_html(MOBILE, masked(MOBILE, "0912100101"))
    assert "href" not in shown


def test_the_control_returns_to_the_page_it_was_drawn_on(cast):
    revealer = Revealer(cast.subscriber_user, back="/thiet-bi/")

    shown = revealer.html(MOBILE, "0912100101", pk=7, subject_person_id=cast.subscriber.pk)

    assert shown == masked_html(
        MOBILE, masked(MOBILE, "0912100101"), revealer.url(MOBILE, 7), revealer.back,
        revealer.labels,
    )  # fmt: skip
    assert f'href="{revealer.url(MOBILE, 7)}?next=%2Fthiet-bi%2F"' in shown
    assert f'data-masked="{MOBILE}"' in shown
