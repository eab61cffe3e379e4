"""The portal's own seal (certificates/signing/system.py): a PAdES signature made server-side
on the system token named by the PORTAL_SYSTEM_SIGNING_* settings, and the demo's system token
that `make run` names (certificates/services/system_seal.py)."""

import pytest

from certificates.exceptions import CertificateError
from certificates.services.system_seal import system_seal_demo_ensure
from certificates.signing import verify_pdf
from certificates.signing.system import system_sign_pdf, system_signer_configured
from tests.certificates.pdf_tools import minimal_pdf

pytestmark = pytest.mark.django_db


def test_without_a_token_nothing_is_signed(settings):
    settings.PORTAL_SYSTEM_SIGNING_TOKEN_SERIAL = ""
    assert not system_signer_configured()
    with pytest.raises(CertificateError) as refused:
        system_sign_pdf(minimal_pdf(), reason="x")
    assert refused.value.code == "system_signer_unavailable"


def test_the_demo_token_is_made_once_and_its_seal_verifies(cast, ca, settings):
    names = system_seal_demo_ensure()
    assert system_seal_demo_ensure() == names  # kept, not made again
    for name, value in names.items():
        setattr(settings, name, value)
    signed = system_sign_pdf(minimal_pdf(), reason="Bản sao dữ liệu cá nhân")
    (report,) = verify_pdf(signed)
    assert report.intact and report.covers_document and report.trusted, report.problems
    assert report.signer_name == "Cổng chữ ký số chuyên dùng công vụ (demo)"


def test_a_key_id_that_is_not_hex_is_a_refusal(cast, ca, settings):
    for name, value in system_seal_demo_ensure().items():
        setattr(settings, name, value)
    settings.PORTAL_SYSTEM_SIGNING_KEY_ID = "not-hex"
    with pytest.raises(CertificateError, match="PORTAL_SYSTEM_SIGNING_KEY_ID"):
        system_sign_pdf(minimal_pdf(), reason="x")
