"""Who reaches which demand page (docs/architecture.md §2.13): out of scope 404, in scope but
not allowed 403, never a 500 for a hostile parameter; the links notifications carry work for
whoever receives them; and a Sở KH&CN gets its officers' certificates as any agency does."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from agencies.deadlines import deadlines_escalate
from demand.services import registration_start
from portal.models import Notification
from portal.workdays import add_working_days
from tests import factories as f
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db

PAGES = {
    "list": lambda c: reverse("demand:list"),
    "create": lambda c: reverse("demand:create"),
    "campaign": lambda c: reverse("demand:campaign", args=[c.pk]),
    "export": lambda c: reverse("demand:export", args=[c.pk]),
    "register": lambda c: reverse("demand:register", args=[c.pk]),
}

# persona -> the status of each page for a campaign of province 1 (302: sent to the table)
MATRIX = {
    "clerk_a": {"list": 200, "create": 403, "campaign": 302, "export": 403, "register": 200},
    "head_a": {"list": 200, "create": 403, "campaign": 302, "export": 403, "register": 200},
    "clerk_c": {"list": 200, "create": 403, "campaign": 404, "export": 404, "register": 404},
    "officer_1": {"list": 200, "create": 200, "campaign": 200, "export": 200, "register": 404},
    "officer_2": {"list": 200, "create": 200, "campaign": 404, "export": 404, "register": 404},
    "ca_operator": {"list": 200, "create": 200, "campaign": 200, "export": 200, "register": 404},
    "subscriber_user": {
        "list": 200,
        "create": 403,
        "campaign": 404,
        "export": 404,
        "register": 404,
    },  # fmt: skip
}


@pytest.mark.parametrize("persona", list(MATRIX))
def test_each_persona_gets_what_the_matrix_says(client, cast, campaign, persona):
    sign_in(client, getattr(cast, persona))
    got = {name: client.get(url(campaign)).status_code for name, url in PAGES.items()}
    assert got == MATRIX[persona]


def test_anonymous_visitors_are_sent_to_sign_in(client, campaign):
    for url in PAGES.values():
        assert client.get(url(campaign)).url.startswith(reverse("login"))


@pytest.mark.parametrize("value", ["²", "①", "abc", "-1", "99999999999999999999"])
def test_a_hostile_agency_parameter_is_a_404_never_a_500(client, cast, campaign, value):
    sign_in(client, cast.clerk_a)
    url = reverse("demand:register", args=[campaign.pk])
    assert client.get(url, {"co_quan": value}).status_code == 404


def test_a_clerk_cannot_name_another_agency_to_fill_its_table(client, cast, campaign):
    sign_in(client, cast.clerk_a)
    url = reverse("demand:register", args=[campaign.pk])
    assert client.get(url, {"co_quan": cast.agency_b.pk}).status_code == 404


def test_a_clerk_of_two_agencies_reaches_both_tables(client, cast, campaign):
    f.MembershipFactory(user=cast.clerk_a, role="agency_clerk", organization=cast.agency_b)
    sign_in(client, cast.clerk_a)
    listing = client.get(reverse("demand:list")).content.decode()
    assert f"?co_quan={cast.agency_a.pk}" in listing and f"?co_quan={cast.agency_b.pk}" in listing
    url = reverse("demand:register", args=[campaign.pk])
    page = client.get(url, {"co_quan": cast.agency_b.pk}).content.decode()
    assert f"Bản đăng ký nhu cầu: {cast.agency_b.name}" in page


def test_another_provinces_summary_is_out_of_scope(client, cast, campaign):
    sign_in(client, cast.officer_2)
    for name in ("summary_pdf", "summary_desk_prepare", "summary_desk_complete"):
        url = reverse(f"demand:{name}", args=[campaign.pk, cast.province_1.pk])
        response = client.get(url) if name == "summary_pdf" else client.post(url)
        assert response.status_code == 404


def test_the_overdue_notice_takes_every_rung_to_a_page_that_answers(client, cast, campaign):
    deadlines_escalate(today=add_working_days(campaign.due_on, 4))
    for user in (cast.clerk_b, cast.officer_1, cast.ca_operator):
        notice = Notification.objects.filter(user=user, kind="deadline").latest("pk")
        sign_in(client, user)
        response = client.get(notice.url, follow=True)
        # a page of the campaign itself, not the sign-in page (which answers 200 too)
        assert response.status_code == 200, (user, notice.url)
        assert all(reverse("login") not in url for url, _ in response.redirect_chain)
        assert escape(campaign.title) in response.content.decode(), (user, notice.url)


def test_a_provincial_office_may_hold_its_officers_certificates(cast, ca):
    from certificates.services import certificate_issue
    from requests_app.services.drafting import cert_request_create

    clerk = f.UserFactory(username="clerk_office")
    f.MembershipFactory(user=clerk, role="agency_clerk", organization=cast.office_1)
    letter = cert_request_create(agency=cast.office_1, form="01", by=clerk)
    assert letter.agency == cast.office_1
    officer = f.PersonFactory(organization=cast.office_1, user=cast.officer_1)
    certificate = certificate_issue(
        subject_kind="person", agency=cast.office_1, person=officer, by=cast.ca_operator
    )
    assert certificate.agency == cast.office_1


def test_a_registration_of_another_agency_is_not_found(client, cast, campaign):
    registration = registration_start(campaign=campaign, agency=cast.agency_b, by=cast.clerk_b)
    sign_in(client, cast.clerk_a)
    url = reverse("demand:registration_pdf", args=[registration.pk])
    assert client.get(url).status_code == 404
