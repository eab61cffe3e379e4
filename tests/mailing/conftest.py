import pytest

from tests.requests_app.device_signing_world import head_of_agency_a


@pytest.fixture
def head(cast, ca):
    """Agency A's head with a certificate and the agency's seal, as the device-signing tests
    have them (tests/requests_app/conftest.py)."""
    return head_of_agency_a(cast)
