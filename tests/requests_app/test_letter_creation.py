"""Only a clerk (cán bộ đầu mối) of an agency may start a letter for it (docs/domain.md §2): not its
head, not a clerk of another agency, not the province or the CA. The service itself refuses,
whatever page or API calls it."""

import pytest

from portal.errors import DomainError
from portal.models import AuditEvent
from requests_app import services
from requests_app.choices import FormKind, Status
from requests_app.models import CertRequest
from tests.requests_app.letters import CONTACT

pytestmark = pytest.mark.django_db


def create(cast, who: str, agency: str = "agency_a"):
    return services.cert_request_create(
        agency=getattr(cast, agency), form=FormKind.ISSUE_PERSON, by=getattr(cast, who), **CONTACT
    )


def test_the_agencys_clerk_creates_a_draft(cast):
    cert_request = create(cast, "clerk_a")

    assert (cert_request.status, cert_request.agency, cert_request.created_by) == (
        Status.DRAFT,
        cast.agency_a,
        cast.clerk_a,
    )
    assert AuditEvent.objects.filter(
        action="cert_request.create", object_id=str(cert_request.pk)
    ).exists()


@pytest.mark.parametrize(
    "who", ["head_a", "clerk_b", "clerk_c", "officer_1", "ca_operator", "subscriber_user"]
)
def test_anyone_but_a_clerk_of_the_agency_is_refused(cast, who):
    with pytest.raises(DomainError) as exc:
        create(cast, who)

    assert exc.value.code == "forbidden"
    assert "cán bộ đầu mối" in exc.value.message
    assert not CertRequest.objects.exists()
    assert not AuditEvent.objects.filter(action="cert_request.create").exists()


def test_a_clerk_cannot_create_a_letter_for_another_agency(cast):
    with pytest.raises(DomainError) as exc:
        create(cast, "clerk_a", agency="agency_b")

    assert exc.value.code == "forbidden"
    assert not CertRequest.objects.exists()
