import pytest

from tests.mailing.smtp_server import SMTPServer

# agency A's head with a certificate and the agency's seal, as the device-signing tests have them
from tests.requests_app.conftest import head  # noqa: F401

CA_ADDRESS = "ca@bcy.gov.vn"
OFFICE_ADDRESS = "skhcn@laichau.gov.vn"


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
