"""The campaign pages and exports within `visible_to` (docs/architecture.md §5): a campaign
of province 1 is not seen from province 2; a nationwide one is, each officer following only
their own agencies; reminders reach only the agencies that have not answered."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from agencies.deadlines import deadlines_escalate
from demand.services import (
    campaign_open,
    campaign_remind,
    registration_start,
)
from demand.services.deadlines import demand_deadlines_sync, demand_due_soon_remind
from portal.models import Deadline, Notification
from portal.workdays import add_working_days
from tests.demand.world import sign_registration
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


def told(user) -> list[str]:
    return list(Notification.objects.filter(user=user, kind="demand").values_list("key", flat=True))


@pytest.fixture
def nationwide(cast):
    return campaign_open(
        by=cast.ca_operator,
        province=None,
        start_year=2027,
        end_year=2031,
        due_on=timezone.localdate() + timedelta(days=20),
    )


def test_a_provinces_campaign_is_not_seen_from_another_province(client, cast, campaign):
    for user in (cast.clerk_c, cast.officer_2, cast.subscriber_user):
        sign_in(client, user)
        assert client.get(reverse("demand:campaign", args=[campaign.pk])).status_code == 404
        assert client.get(reverse("demand:export", args=[campaign.pk])).status_code == 404
    sign_in(client, cast.clerk_a)
    assert client.get(reverse("demand:register", args=[campaign.pk])).status_code == 200


def test_each_officer_follows_only_their_provinces_agencies(client, cast, nationwide):
    sign_in(client, cast.officer_2)
    page = client.get(reverse("demand:campaign", args=[nationwide.pk])).content.decode()
    assert cast.agency_c.name in page and cast.agency_a.name not in page
    workbook = load_workbook(
        BytesIO(client.get(reverse("demand:export", args=[nationwide.pk])).content)
    )
    names = [row[1] for row in workbook["Co quan"].iter_rows(min_row=2, values_only=True)]
    assert names == [cast.agency_c.name]
    sign_in(client, cast.ca_operator)
    page = client.get(reverse("demand:campaign", args=[nationwide.pk])).content.decode()
    assert cast.agency_a.name in page and cast.agency_c.name in page


def test_a_clerk_is_taken_to_their_table_not_to_the_follow_up(client, cast, nationwide):
    sign_in(client, cast.clerk_c)
    response = client.get(reverse("demand:campaign", args=[nationwide.pk]))
    assert response.status_code == 302
    assert response.url == reverse("demand:register", args=[nationwide.pk])
    assert client.get(reverse("demand:export", args=[nationwide.pk])).status_code == 403


def test_only_the_ca_opens_a_nationwide_campaign(client, cast):
    sign_in(client, cast.officer_1)
    page = client.get(reverse("demand:create")).content.decode()
    assert "Toàn quốc" not in page
    sign_in(client, cast.clerk_a)
    assert client.get(reverse("demand:create")).status_code == 403


def test_a_clerk_may_not_sign_nor_see_another_agencys_registration(client, cast, campaign):
    registration = registration_start(campaign=campaign, agency=cast.agency_a, by=cast.clerk_a)
    sign_in(client, cast.clerk_b)
    url = reverse("demand:registration_pdf", args=[registration.pk])
    assert client.get(url).status_code == 404
    sign_in(client, cast.clerk_a)
    response = client.post(
        reverse("demand:register", args=[campaign.pk]), {"action": "sign", "revision": 0}
    )
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.status == "draft"


def test_a_wrong_cell_is_shown_on_the_page_and_nothing_is_saved(client, cast, campaign):
    sign_in(client, cast.clerk_a)
    url = reverse("demand:register", args=[campaign.pk])
    data = {"action": "save", "q_org_usb_2027": "-3", "q_person_usb_2027": "abc"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Có ô chưa hợp lệ" in response.content.decode()
    from demand.models import RegistrationItem

    assert not RegistrationItem.objects.filter(quantity__gt=0).exists()


def test_reminders_go_only_to_the_agencies_that_have_not_answered(cast, signers, campaign):
    registration = registration_start(campaign=campaign, agency=cast.agency_a, by=cast.clerk_a)
    sign_registration(registration, cast.head_a, revision=0)
    Notification.objects.all().delete()
    assert campaign_remind(campaign=campaign, by=cast.officer_1) == 1
    assert told(cast.clerk_b) and not told(cast.clerk_a) and not told(cast.head_a)
    assert campaign_remind(campaign=campaign, by=cast.officer_1) == 0  # once a day


def test_the_sweep_reminds_before_the_date_and_escalates_after_it(cast, campaign):
    campaign.due_on = add_working_days(timezone.localdate(), 2)
    campaign.save(update_fields=["due_on"])
    demand_deadlines_sync()
    Notification.objects.all().delete()
    assert demand_due_soon_remind() == 3  # clerk and head of A, clerk of B
    assert demand_due_soon_remind() == 0
    assert told(cast.clerk_b) == [f"demand:{campaign.pk}:due-soon"]

    later = add_working_days(campaign.due_on, 2)
    deadlines_escalate(today=later)
    overdue = Deadline.objects.get(
        subject=f"demand:{campaign.pk}:{cast.agency_b.pk}", closed_at=None
    )
    assert overdue.level == 2
    assert Notification.objects.filter(user=cast.clerk_b, kind="deadline").exists()


def test_the_follow_up_page_costs_the_same_queries_for_more_agencies(client, cast, campaign):
    from tests import factories as f
    from tests.helpers import count_queries

    sign_in(client, cast.officer_1)
    url = reverse("demand:campaign", args=[campaign.pk])
    before = count_queries(client, url)
    for n in range(5):
        agency = f.AgencyFactory(parent=cast.province_1, name=f"Cơ quan thêm {n}")
        clerk = f.UserFactory(username=f"clerk_extra_{n}")
        f.MembershipFactory(user=clerk, role="agency_clerk", organization=agency)
        registration_start(campaign=campaign, agency=agency, by=clerk)
    assert count_queries(client, url) == before


def test_the_ca_opens_a_campaign_from_the_form_once_with_a_date_typed_dd_mm_yyyy(client, cast):
    from demand.models import Campaign

    sign_in(client, cast.ca_operator)
    due = timezone.localdate() + timedelta(days=30)
    data = {
        "scope": "0",
        "start_year": 2027,
        "end_year": 2031,
        "due_on": due.strftime("%d/%m/%Y"),
        "reference": "86/BCY-CTSBMTT",
    }
    first = client.post(reverse("demand:create"), data)
    campaign = Campaign.objects.get()
    assert first.url == reverse("demand:campaign", args=[campaign.pk])
    assert campaign.due_on == due and campaign.province is None
    again = client.post(reverse("demand:create"), data)
    assert again.status_code == 200
    assert "Đã có đợt đăng ký đang mở cho giai đoạn này." in again.content.decode()
    assert Campaign.objects.count() == 1
