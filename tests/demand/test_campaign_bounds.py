"""The bounds of a demand campaign at their edges (docs/domain.md §11): a period of one to
ten years, a due date not before today, and only an asked agency registers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from demand.models import Campaign, Registration
from demand.services import campaign_open, registration_start
from portal.errors import DomainError

pytestmark = pytest.mark.django_db


def open_campaign(cast, *, start_year=2027, end_year=2031, due_on=None):
    return campaign_open(
        by=cast.officer_1, province=cast.province_1, start_year=start_year, end_year=end_year,
        due_on=due_on or timezone.localdate() + timedelta(days=20),
    )  # fmt: skip


def test_a_period_of_ten_years_is_opened_and_one_of_eleven_is_refused(cast):
    with pytest.raises(DomainError) as refused:
        open_campaign(cast, start_year=2027, end_year=2037)
    assert refused.value.code == "bad_period"
    assert not Campaign.objects.exists()
    opened = open_campaign(cast, start_year=2027, end_year=2036)
    assert (opened.start_year, opened.end_year) == (2027, 2036)


def test_a_period_of_one_year_is_opened_and_one_ending_before_it_starts_is_refused(cast):
    with pytest.raises(DomainError) as refused:
        open_campaign(cast, start_year=2027, end_year=2026)
    assert refused.value.code == "bad_period"
    opened = open_campaign(cast, start_year=2027, end_year=2027)
    assert (opened.start_year, opened.end_year) == (2027, 2027)


def test_a_campaign_due_today_is_opened_and_one_due_yesterday_is_refused(cast):
    today = timezone.localdate()
    with pytest.raises(DomainError) as refused:
        open_campaign(cast, due_on=today - timedelta(days=1))
    assert refused.value.code == "past_due"
    assert not Campaign.objects.exists()
    assert open_campaign(cast, due_on=today).due_on == today


def test_an_agency_the_campaign_did_not_ask_cannot_register_while_an_asked_one_can(cast):
    campaign = open_campaign(cast)  # province 1's: agencies A and B, not C of province 2
    with pytest.raises(DomainError) as refused:
        registration_start(campaign=campaign, agency=cast.agency_c, by=cast.clerk_c)
    assert refused.value.code == "not_asked"
    assert not Registration.objects.filter(agency=cast.agency_c).exists()
    asked = registration_start(campaign=campaign, agency=cast.agency_b, by=cast.clerk_b)
    assert (asked.campaign, asked.agency) == (campaign, cast.agency_b)
