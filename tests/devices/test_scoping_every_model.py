"""The scoping promise (docs/architecture.md §5), for every model that has a visible_to(): whatever agency A has
(people, certificates, devices, Mẫu 07 notices, return obligations, Mẫu 08 minutes, Mẫu 09
reports, letters and their rows), a user of another agency or another province sees none of
it, while agency A's clerk sees all of it."""

from datetime import date

import pytest
from django.utils import timezone

from agencies.models import Person
from certificates.models import Certificate
from certificates.services import certificate_revoke
from devices.choices import ReceiverKind
from devices.models import (
    Device,
    HandoverNotice,
    LossReport,
    ReturnMinutes,
    ReturnObligation,
)
from devices.services import device_collect, loss_report_create, return_minutes_create
from requests_app import services as letters
from requests_app.choices import FormKind
from requests_app.models import CertRequest, RequestRow
from tests import factories as f
from tests.devices.helpers import hand_over, issue_on_token
from tests.requests_app.letters import CONTACT, issue_signed, person_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def agency_a_world(cast, ca, stock):
    second = f.PersonFactory(organization=cast.agency_a)
    cert_1, device_1 = issue_on_token(cast)
    cert_2, device_2 = issue_on_token(cast, person=second)
    hand_over(cast, device_1, device_2)
    certificate_revoke(certificate=cert_1, by=cast.ca_operator, reason="retired")
    device_collect(device=device_1, by=cast.clerk_a)
    return_minutes_create(
        agency=cast.agency_a, devices=[device_1], held_at=timezone.now(),
        place="Sở Tài chính", receiver_kind=ReceiverKind.CA,
        agency_representative="Nguyễn Thị Thu Hà", by=cast.clerk_a,
    )  # fmt: skip
    loss_report_create(
        device=device_2, lost_on=date.today(), lost_place="Trụ sở",
        circumstances="Để quên trên xe khách", by=cast.clerk_a,
    )  # fmt: skip
    letter = letters.cert_request_create(
        agency=cast.agency_a, form=FormKind.ISSUE_PERSON, by=cast.clerk_a, **CONTACT
    )
    letters.row_save(cert_request=letter, by=cast.clerk_a, data=person_row())
    letters.cert_request_submit(cert_request=letter, by=cast.clerk_a)
    issue_signed(cast, letter)


# How each model says "agency A's": its rows that the clerk of agency A must see.
OF_AGENCY_A = {
    Person: "organization__path__startswith",
    Certificate: "agency__path__startswith",
    Device: "agency__path__startswith",
    HandoverNotice: "agency__path__startswith",
    ReturnObligation: "agency__path__startswith",
    ReturnMinutes: "agency__path__startswith",
    LossReport: "device__agency__path__startswith",
    CertRequest: "agency__path__startswith",
    RequestRow: "cert_request__agency__path__startswith",
}


@pytest.mark.parametrize("model", list(OF_AGENCY_A), ids=lambda m: m.__name__)
def test_outsiders_see_nothing_of_agency_a_and_its_clerk_sees_all(cast, agency_a_world, model):
    of_a = set(
        model.objects.filter(**{OF_AGENCY_A[model]: cast.agency_a.path}).values_list(
            "pk", flat=True
        )
    )
    assert of_a, f"the fixture made no {model.__name__} of agency A"
    assert set(model.objects.visible_to(cast.clerk_a).values_list("pk", flat=True)) == of_a
    for outsider in (cast.clerk_b, cast.clerk_c, cast.officer_2):
        seen = model.objects.visible_to(outsider).filter(pk__in=of_a)
        assert not seen.exists(), (model.__name__, outsider.username)
