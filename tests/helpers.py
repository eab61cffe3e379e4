"""Plain helpers of the whole suite (fixtures live in conftest.py, factories in factories.py)."""

import os

import pytest

TEST_CA_PASSPHRASE = "mat-khau-ca-thu-nghiem-dai-du"
TEST_DEVICE_PASSPHRASE = "mat-khau-thiet-bi-thu-nghiem"

REQUIRE_SERVICES = os.environ.get("PORTAL_REQUIRE_SERVICES", "") in {"1", "true", "yes"}


def service_missing(reason: str):
    """Fail under CI, skip on a developer machine without the service."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)
