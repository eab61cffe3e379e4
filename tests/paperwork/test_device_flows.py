"""The flows that start from a device, called as services (paperwork/flows.py).
The pages and the full paths are in tests/devices/test_paths.py and test_pages.py."""

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from devices.choices import DeviceKind, DeviceStatus
from devices.models import Device, LossReport
from devices.services import (
    device_deliver_for_certificate,
    device_register_stock,
    handover_notice_create,
)
from paperwork import flows as device_flows
from requests_app.models import CertRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def handed(cast):
    """A token of agency A handed to its subscriber, with no certificate on it."""
    device_register_stock(kind=DeviceKind.USB_TOKEN, serial="VT2609001", by=cast.ca_operator)
    device = device_deliver_for_certificate(
        kind=DeviceKind.USB_TOKEN,
        agency=cast.agency_a,
        holder=cast.subscriber,
        by=cast.ca_operator,
        document_ref="1/STC-CKS",
    )
    handover_notice_create(
        agency=cast.agency_a,
        devices=[device],
        acknowledged={device.pk},
        handed_on=timezone.localdate(),
        by=cast.clerk_a,
    )
    device.refresh_from_db()
    return device


def report(device, by):
    return device_flows.device_loss_report(
        device=device,
        lost_on=timezone.localdate(),
        lost_place="Trụ sở cơ quan",
        circumstances="Để quên trên xe khách",
        held_place="",
        by=by,
    )


def test_a_lost_device_without_valid_certificates_gets_its_mau_09_and_no_letter(cast, handed):
    outcome = report(handed, cast.clerk_a)

    assert outcome.report == LossReport.objects.get(device=handed)
    assert outcome.letter is None
    assert outcome.draft_error == ""
    assert not CertRequest.objects.exists()
    assert Device.objects.get(pk=handed.pk).status == DeviceStatus.LOST


def test_only_the_agencys_clerk_reports_its_device_lost(cast, handed):
    with pytest.raises(PermissionDenied):
        report(handed, cast.clerk_b)

    assert not LossReport.objects.exists()


def test_the_recovery_letter_is_refused_for_a_device_that_is_not_locked(cast, handed):
    with pytest.raises(PermissionDenied):
        device_flows.device_recovery_draft(device=handed, by=cast.clerk_a)

    assert not CertRequest.objects.exists()
