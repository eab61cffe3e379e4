import pytest

from tests.mailing.helpers import CA_ADDRESS
from tests.mailing.smtp_server import SMTPServer
from tests.requests_app.device_signing_world import head_of_agency_a


@pytest.fixture
def head(cast, ca):
    """Agency A's head with a certificate and the agency's seal, as the device-signing tests
    have them (tests/requests_app/conftest.py)."""
    return head_of_agency_a(cast)


@pytest.fixture
def smtp(settings):
    """A running SMTP server the portal sends to (stop it and start it again at will)."""
    server = SMTPServer()
    server.start()
    for name, value in server.settings().items():
        setattr(settings, name, value)
    settings.PORTAL_MAIL_CA_ADDRESS = CA_ADDRESS
    yield server
    server.stop()
