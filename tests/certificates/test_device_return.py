"""Revocation and expiry hand the device back (devices.services opens the obligation)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from certificates import services
from certificates.choices import RevocationReason, SubjectKind
from devices.choices import DeviceKind, DeviceStatus, ReturnReason
from devices.models import Device, ReturnObligation
from devices.services import (
    device_deliver_for_certificate,
    device_register_stock,
    handover_notice_create,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def handed(ca, cast):
    """A certificate on a token the agency has handed to its subscriber."""
    device_register_stock(kind=DeviceKind.USB_TOKEN, serial="VT2600001", by=cast.ca_operator)
    device = device_deliver_for_certificate(
        kind=DeviceKind.USB_TOKEN,
        agency=cast.agency_a,
        holder=cast.subscriber,
        by=cast.ca_operator,
        document_ref="1/STC-CKS",
    )
    certificate = services.certificate_issue(
        subject_kind=SubjectKind.PERSON,
        agency=cast.agency_a,
        person=cast.subscriber,
        device=device,
        by=cast.ca_operator,
        not_after=timezone.now() + timedelta(days=60),
    )
    handover_notice_create(
        agency=cast.agency_a,
        devices=[device],
        acknowledged={device.pk},
        handed_on=timezone.localdate(),
        by=cast.clerk_a,
    )
    return certificate, device


def test_a_revocation_opens_the_return_of_the_device(handed, cast):
    certificate, device = handed

    services.certificate_revoke(
        certificate=certificate, by=cast.ca_operator, reason=RevocationReason.RESIGNED
    )

    obligation = ReturnObligation.objects.get(device=device)
    assert obligation.reason == ReturnReason.REVOKED
    assert obligation.certificate_serial == certificate.serial
    assert obligation.notified_on == timezone.localdate()
    assert Device.objects.get(pk=device.pk).status == DeviceStatus.AWAITING_RETURN


def test_a_lost_device_is_not_asked_back(handed, cast):
    certificate, device = handed

    services.certificate_revoke(
        certificate=certificate, by=cast.ca_operator, reason=RevocationReason.DEVICE_LOST
    )

    assert not ReturnObligation.objects.filter(device=device).exists()


def test_a_renewal_keeps_the_device_with_its_holder(handed, cast):
    certificate, device = handed

    services.certificate_renew(certificate=certificate, by=cast.officer_1)

    assert not ReturnObligation.objects.filter(device=device).exists()
    assert Device.objects.get(pk=device.pk).status == DeviceStatus.HANDED_TO_SUBSCRIBER


def test_expiry_opens_the_return_from_the_expiry_date(handed, time_machine):
    certificate, device = handed
    time_machine.move_to(certificate.not_after + timedelta(days=2))

    services.certificate_expire_due()

    obligation = ReturnObligation.objects.get(device=device)
    assert obligation.reason == ReturnReason.EXPIRED
    assert obligation.notified_on == timezone.localdate(certificate.not_after)
