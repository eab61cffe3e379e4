"""docs/domain.md §4: the Sở KH&CN recovers USB tokens itself; other devices go on to the CA, within
one working day."""

import pytest

from devices.choices import DeviceKind, DeviceStatus
from portal.workdays import add_working_days
from requests_app import services
from requests_app.choices import FormKind, Status
from requests_app.models import CertRequest
from requests_app.permissions import allowed_actions
from tests import factories as f
from tests.requests_app.letters import CONTACT, issue_signed

pytestmark = pytest.mark.django_db


def recovery(cast, device):
    cert_request = services.cert_request_create(
        agency=cast.agency_a, form=FormKind.RECOVER_DEVICE, by=cast.clerk_a, **CONTACT
    )
    services.row_save(cert_request=cert_request, by=cast.clerk_a, data={"device": device})
    services.cert_request_submit(cert_request=cert_request, by=cast.clerk_a)
    issue_signed(cast, cert_request)
    return CertRequest.objects.get(pk=cert_request.pk)


def test_a_locked_usb_token_is_recovered_by_the_province(cast):
    token = f.DeviceFactory(agency=cast.agency_a, status=DeviceStatus.LOCKED)
    cert_request = recovery(cast, token)
    actions = allowed_actions(cast.officer_1, cert_request)
    assert "process" in actions and "forward" not in actions
    assert cert_request.due_on == add_working_days(cert_request.received_on, 1)


def test_a_locked_sim_goes_on_to_the_ca_and_leaves_the_province_inbox(cast):
    sim = f.DeviceFactory(
        agency=cast.agency_a, kind=DeviceKind.SIM_PKI, serial="SIM0001",
        iccid="8984040000000000001", phone="0912000001", carrier="viettel",
        status=DeviceStatus.LOCKED,
    )  # fmt: skip
    cert_request = recovery(cast, sim)
    actions = allowed_actions(cast.officer_1, cert_request)
    assert "forward" in actions and "process" not in actions
    assert not CertRequest.objects.ca_queue(cast.ca_operator).exists()

    services.cert_request_forward(cert_request=cert_request, by=cast.officer_1)
    assert list(CertRequest.objects.ca_queue(cast.ca_operator)) == [cert_request]
    assert "process" in allowed_actions(cast.ca_operator, cert_request)
    assert cert_request.due_on == add_working_days(cert_request.received_on, 1)
    assert cert_request.status == Status.FORWARDED
    assert not CertRequest.objects.province_inbox(cast.officer_1).exists()
