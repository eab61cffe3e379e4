import pytest

from certificates.backends.base import CABackend
from certificates.exceptions import CertificateError


class KeylessConnector(CABackend):
    """A connector to a real CA: everything but the simulation-only key store."""

    def initialize(self, *, rotate=False):
        return []

    def issue(self, *, requests):
        return []

    def renew(self, *, previous, not_after):
        return None

    def change_info(self, *, previous, subject):
        return None

    def revoke(self, *, certificate, reason, revoked_at):
        return None

    def build_crl(self, *, authority, entries, number, this_update, next_update):
        return b""

    def ocsp_response(self, *, request_der, lookup):
        return b""

    def timestamp_response(self, *, request_der, record):
        return b""

    def chain(self, *, authority):
        return []


def test_a_real_ca_connector_refuses_to_export_or_make_device_keys():
    connector = KeylessConnector()
    with pytest.raises(CertificateError) as exc:
        connector.generate_device_key(device=None, algorithm="rsa2048")
    assert exc.value.code == "unsupported"
    with pytest.raises(CertificateError):
        connector.signing_material(certificate=None)


def test_a_real_ca_connector_keeps_its_own_tsa_certificate():
    assert KeylessConnector().timestamp_unit_ensure() is None
