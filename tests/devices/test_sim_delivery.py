import pytest

from devices.choices import DeviceKind, DeviceStatus
from devices.services import device_deliver_for_certificate, device_register_stock

pytestmark = pytest.mark.django_db


def test_a_sim_is_made_for_the_subscribers_number_not_taken_from_stock(cast):
    stocked = device_register_stock(
        kind=DeviceKind.SIM_PKI, serial="8984040000000000009", by=cast.ca_operator,
        iccid="8984040000000000009", phone="0912000009", carrier="viettel",
    )  # fmt: skip
    sim = {"iccid": "8984040000000000123", "phone": "0987654321", "carrier": "mobifone"}
    device = device_deliver_for_certificate(
        kind=DeviceKind.SIM_PKI, agency=cast.agency_a, holder=cast.subscriber,
        by=cast.ca_operator, sim=sim,
    )  # fmt: skip
    assert device.pk != stocked.pk
    assert (device.phone, device.carrier) == ("0987654321", "mobifone")
    stocked.refresh_from_db()
    assert stocked.status == DeviceStatus.IN_CA_STOCK


def test_a_usb_token_comes_from_stock(cast):
    stocked = device_register_stock(kind=DeviceKind.USB_TOKEN, serial="VT2600001", by=None)
    device = device_deliver_for_certificate(
        kind=DeviceKind.USB_TOKEN, agency=cast.agency_a, holder=cast.subscriber, by=None
    )
    assert device.pk == stocked.pk
    assert device.status == DeviceStatus.DELIVERED_TO_AGENCY
