"""Fixtures of the CA tests: certificates issued by the simulated CA (the `ca` fixture of
tests/conftest.py) and a relying party's download directory."""

import pytest

from certificates import services
from certificates.choices import SubjectKind
from tests.certificates.relying_party import Files
from tests.helpers import sign_in


@pytest.fixture(autouse=True)
def _ca_settings(settings):
    settings.SITE_URL = "https://cong-cks.thu-nghiem.gov.vn"


@pytest.fixture
def issue(ca, cast):
    """Issue a certificate for agency A's subscriber (or anything else, by keyword)."""

    def _issue(**kwargs):
        kwargs.setdefault("subject_kind", SubjectKind.PERSON)
        kwargs.setdefault("agency", cast.agency_a)
        if kwargs["subject_kind"] == SubjectKind.PERSON:
            kwargs.setdefault("person", cast.subscriber)
        kwargs.setdefault("by", cast.ca_operator)
        return services.certificate_issue(**kwargs)

    return _issue


@pytest.fixture
def files(tmp_path, client, cast):
    sign_in(client, cast.ca_operator)
    return Files(tmp_path, client)


# --- signed letters (test_signing.py, test_verification.py) --------------------------------
@pytest.fixture
def head(cast):
    """Agency A's head as a person in the registry (the account `head_a`)."""
    from tests import factories as f

    return f.PersonFactory(
        organization=cast.agency_a,
        user=cast.head_a,
        full_name="Trần Thị Ánh Dương",
        position="Giám đốc",
        official_email="duong.tta@thunghiem.gov.vn",
    )


@pytest.fixture
def head_certificate(issue, head):
    return issue(person=head)


@pytest.fixture
def seal_certificate(issue):
    """Agency A's organisation certificate: its digital seal."""
    return issue(subject_kind=SubjectKind.ORGANIZATION)


@pytest.fixture
def letter_pdf():
    from tests.certificates.pdf_tools import minimal_pdf

    return minimal_pdf()


@pytest.fixture
def sign_letter(cast, head, head_certificate, seal_certificate):
    """Sign a PDF as the head's own software does (tests/outside_signer.py): the head's
    signature, then the agency's seal over the left third of it."""
    from certificates.signing import Appearance, signature_position
    from tests.outside_signer import OutsideSigner

    def _sign(pdf: bytes) -> bytes:
        position = signature_position(pdf)
        signer = OutsideSigner()
        signed = signer.sign(
            pdf,
            certificate=head_certificate,
            field_name="ChuKyLanhDao",
            appearance=Appearance.signature(
                position,
                signer_name=head.full_name,
                title=head.position,
                agency=cast.agency_a.name,
            ),
            reason="Ký ban hành",
            location="Lai Châu",
            by=cast.head_a,
        )
        return signer.sign(
            signed,
            certificate=seal_certificate,
            field_name="DauCoQuan",
            appearance=Appearance.seal(position, agency=cast.agency_a.name),
            reason="Đóng dấu cơ quan",
            by=cast.head_a,
        )

    return _sign
