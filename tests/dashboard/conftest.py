"""Fixtures of the monthly report tests (tests/dashboard/test_monthly_report*.py)."""

import pytest

from certificates.choices import SubjectKind
from certificates.services import certificate_issue
from tests import factories as f


@pytest.fixture
def signer(cast, ca):
    """Lai Châu's officer, a person of the Sở KH&CN, with a personal certificate, and the
    Sở's seal: both issued by the simulated CA to the Sở as their managing organisation."""
    person = f.PersonFactory(
        organization=cast.office_1,
        user=cast.officer_1,
        full_name="Lò Văn Thắng",
        position="Phó Giám đốc",
        official_email="thang.lv@thunghiem.gov.vn",
    )
    kwargs = {"agency": cast.office_1, "by": cast.ca_operator}
    certificate_issue(subject_kind=SubjectKind.PERSON, person=person, **kwargs)
    certificate_issue(subject_kind=SubjectKind.ORGANIZATION, **kwargs)
    return person
