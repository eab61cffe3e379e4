"""Officers racing on one incident, through the pages, on PostgreSQL: the move is decided on
the row as locked, so of ten officers recording the notification at once exactly one is
recorded and the others are told, on the incident's page, that it has moved on.

PostgreSQL only: SQLite serialises whole-database writes and has no row locks.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEvent
from privacy.choices import IncidentStatus
from privacy.models import IncidentTransition
from tests.helpers import at_once, postgresql_only, signed_in
from tests.privacy.world import officer, record

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        postgresql_only("the race tests")


def test_ten_officers_recording_the_notification_at_once_record_it_once(cast):
    officers = [officer(f"dpo{i}") for i in range(10)]
    incident = record(officers[0], hours_ago=3)
    url = reverse("privacy:incident_notify", args=[incident.pk])
    when = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    clients = [signed_in(user) for user in officers]

    def notify(i):
        response = clients[i].post(url, {"notified_at": when, "reference": f"Công văn {i}"})
        return response.status_code, clients[i].get(response["Location"]).content.decode()

    results = at_once(notify, len(officers))

    assert [r for r in results if isinstance(r, BaseException)] == []
    assert {status for status, _ in results} == {302}
    told = [page for _, page in results if "không thể thực hiện thao tác này" in page]
    assert len(told) == 9
    assert IncidentTransition.objects.filter(incident=incident).count() == 1
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.NOTIFIED
    assert AuditEvent.objects.filter(action="privacy_incident.notify").count() == 1
