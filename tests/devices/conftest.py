"""Fixtures of the devices tests: the CA's stock and a token handed to the subscriber (the
simulated CA is the `ca` fixture of tests/conftest.py; plain helpers are in helpers.py)."""

import pytest

from devices.choices import DeviceKind
from devices.models import CustodyRecord
from devices.services import device_register_stock
from tests import factories as f
from tests.devices.helpers import hand_over


@pytest.fixture
def stock(cast):
    """Three USB tokens in the CA's stock."""
    return [
        device_register_stock(
            kind=DeviceKind.USB_TOKEN, serial=f"VT2600{n:03d}", by=cast.ca_operator
        )
        for n in range(1, 4)
    ]


@pytest.fixture
def handed(cast):
    """A token of agency A handed to the subscriber (no certificate behind it)."""
    device = f.DeviceFactory(
        agency=cast.agency_a, holder=cast.subscriber, status="delivered_to_agency"
    )
    CustodyRecord.objects.create(
        device=device,
        status=device.status,
        holder_kind=CustodyRecord.HolderKind.AGENCY,
        agency=cast.agency_a,
        held_from=device.created_at,
    )
    hand_over(cast, device)
    device.refresh_from_db()
    return device
