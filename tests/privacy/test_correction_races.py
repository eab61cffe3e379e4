"""Two clerks of one agency handling the same correction request at once, through the pages,
on PostgreSQL: the move is decided on the request as locked, so exactly one is recorded (one
transition, one audit event, one correction of the record) and the other clerk is told, on
the request's page, that it was already handled.

PostgreSQL only: SQLite serialises whole-database writes and has no row locks.
"""

import pytest
from django.db import connection
from django.urls import reverse

from agencies.choices import Role
from agencies.models import Person
from portal.models import AuditEvent
from privacy.choices import CorrectableField, CorrectionStatus
from privacy.corrections import correction_request_submit
from privacy.models import CorrectionRequest, CorrectionTransition
from tests import factories as f
from tests.helpers import at_once, postgresql_only, signed_in

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        postgresql_only("the race tests")


def test_two_clerks_handling_one_request_at_once_handle_it_once(cast):
    second = f.UserFactory(username="clerk_a2")
    f.MembershipFactory(user=second, role=Role.AGENCY_CLERK, organization=cast.agency_a)
    correction = correction_request_submit(
        person=cast.subscriber,
        by=cast.subscriber_user,
        field=CorrectableField.MOBILE,
        value="0987654321",
        reason="Số mới",
    )
    clerks = [cast.clerk_a, second]
    moves = [
        ("corrections:correct", {"note": ""}),
        ("corrections:reject", {"reason": "Chưa đủ căn cứ"}),
    ]
    clients = [signed_in(user) for user in clerks]

    def handle(i):
        name, data = moves[i]
        response = clients[i].post(reverse(name, args=[correction.pk]), data)
        return response.status_code, clients[i].get(response["Location"]).content.decode()

    results = at_once(handle, len(clerks))

    assert [r for r in results if isinstance(r, BaseException)] == []
    assert {status for status, _ in results} == {302}
    told = [page for _, page in results if "Yêu cầu đã được xử lý" in page]
    assert len(told) == 1
    assert CorrectionTransition.objects.filter(correction=correction).count() == 1
    correction = CorrectionRequest.objects.get(pk=correction.pk)
    assert correction.status in (CorrectionStatus.CORRECTED, CorrectionStatus.REJECTED)
    moved = AuditEvent.objects.filter(action__startswith="privacy_correction.").exclude(
        action="privacy_correction.submit"
    )
    assert moved.count() == 1
    corrected = Person.objects.get(pk=cast.subscriber.pk).mobile == "0987654321"
    assert corrected == (correction.status == CorrectionStatus.CORRECTED)
    assert AuditEvent.objects.filter(action="person.correct").count() == int(corrected)
