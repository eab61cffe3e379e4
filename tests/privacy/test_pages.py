"""Who may use the privacy pages (docs/privacy.md §2): the data protection officer and
administrators; every other role gets 403. The officer sees no letter, certificate, device or
person of any agency."""

import pytest
from django.urls import reverse
from django.utils import timezone

from agencies.models import Person
from certificates.models import Certificate
from devices.models import Device
from privacy.models import Incident
from privacy.services import incident_mark_notified
from requests_app.models import CertRequest
from tests import factories as f
from tests.helpers import count_queries, sign_in
from tests.privacy.world import officer, record
from tests.requests_app.letters import draft

pytestmark = pytest.mark.django_db

OTHERS = ["clerk_a", "head_a", "officer_1", "ca_operator", "subscriber_user"]


def privacy_gets(incident):
    return [
        reverse("privacy:inventory"),
        reverse("privacy:incidents"),
        reverse("privacy:incident_create"),
        reverse("privacy:incident_detail", args=[incident.pk]),
        reverse("privacy:incident_notice", args=[incident.pk]),
    ]


def privacy_posts(incident):
    return [
        reverse("privacy:incident_create"),
        reverse("privacy:incident_notify", args=[incident.pk]),
        reverse("privacy:incident_close", args=[incident.pk]),
    ]


def test_the_data_protection_officer_uses_every_privacy_page(cast, client):
    dpo = officer()
    incident = record(dpo)
    sign_in(client, dpo)
    for url in privacy_gets(incident):
        assert client.get(url).status_code == 200, url
    page = client.get(reverse("privacy:inventory")).content.decode()
    assert "agencies.Person" in page and "national_id" in page


def test_an_administrator_uses_the_privacy_pages_too(cast, client):
    incident = record(officer())
    sign_in(client, cast.admin)
    for url in privacy_gets(incident):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("persona", OTHERS)
def test_every_other_role_gets_403_on_the_privacy_pages(cast, client, persona):
    incident = record(officer())
    sign_in(client, getattr(cast, persona))
    for url in privacy_gets(incident):
        assert client.get(url).status_code == 403, url
    for url in privacy_posts(incident):
        assert client.post(url, {"note": "x", "title": "x"}).status_code == 403, url
    assert Incident.objects.get().status == "recorded"
    assert Incident.objects.visible_to(getattr(cast, persona)).count() == 0


def test_a_missing_incident_is_404_for_the_officer_and_403_for_others(cast, client):
    sign_in(client, officer())
    assert client.get(reverse("privacy:incident_detail", args=[987654])).status_code == 404
    sign_in(client, cast.clerk_a)
    assert client.get(reverse("privacy:incident_detail", args=[987654])).status_code == 403


def test_the_data_protection_officer_sees_no_letter_certificate_device_or_person(cast, client):
    letter = draft(cast)
    person = f.PersonFactory(organization=cast.unit_a)
    device = f.DeviceFactory(agency=cast.agency_a, holder=person)
    f.CertificateFactory(person=person, agency=cast.agency_a, device=device)
    dpo = officer()
    for model in (CertRequest, Certificate, Device, Person):
        assert not model.objects.visible_to(dpo).exists(), model
    sign_in(client, dpo)
    assert client.get(reverse("requests_app:detail", args=[letter.pk])).status_code == 404
    listing = client.get(reverse("requests_app:list"))
    assert listing.status_code == 200
    assert reverse("requests_app:detail", args=[letter.pk]) not in listing.content.decode()


def test_the_officer_finds_the_privacy_pages_in_the_navigation_and_not_the_letters(cast, client):
    sign_in(client, officer())
    page = client.get(reverse("dashboard")).content.decode()
    assert reverse("privacy:incidents") in page
    assert reverse("privacy:inventory") in page
    assert 'data-count="open_incidents">0' in page
    assert reverse("requests_app:list") not in page


def test_a_clerk_does_not_find_the_privacy_pages_in_the_navigation(cast, client):
    sign_in(client, cast.clerk_a)
    assert reverse("privacy:incidents") not in client.get(reverse("dashboard")).content.decode()


def test_each_privacy_page_stays_within_its_query_budget(cast, client):
    dpo = officer()
    for _ in range(3):
        incident = record(dpo)
    incident_mark_notified(incident=incident, by=dpo, notified_at=timezone.now(), reference="x")
    sign_in(client, dpo)
    budgets = {
        reverse("privacy:inventory"): 4,
        reverse("privacy:incidents"): 5,  # whatever the number of incidents
        reverse("privacy:incident_create"): 4,
        reverse("privacy:incident_detail", args=[incident.pk]): 6,
        reverse("privacy:incident_notice", args=[incident.pk]): 5,
    }
    for url, budget in budgets.items():
        assert count_queries(client, url) <= budget, url


@pytest.mark.parametrize(
    "name",
    [
        "requests_app:create",
        "requests_app:province_inbox",
        "requests_app:ca_queue",
        "statistics",
        "signing_monitor",
        "orgmerge:list",
        "devices:handover",
        "monthly_reports:list",
    ],
)
def test_the_data_protection_officer_gets_403_on_the_letter_and_statistics_pages(
    cast, client, name
):
    sign_in(client, officer())
    assert client.get(reverse(name)).status_code == 403
