"""Fixtures of the monthly report tests (tests/dashboard/test_monthly_report*.py)."""

import pytest

from certificates.choices import SubjectKind
from certificates.models import Certificate
from certificates.services import certificate_issue
from tests import factories as f


@pytest.fixture
def signer(cast, ca):
    """Lai Châu's officer with a personal certificate, and a seal for the Sở KH&CN.

    The simulated CA issues only under a managing agency (kind AGENCY or MINISTRY), so both
    are issued under one, and the seal is then registered to the Sở (the demo's own seal is
    made by its seeding)."""
    managing = f.AgencyFactory(parent=cast.province_1, name="Văn phòng Sở Khoa học và Công nghệ")
    person = f.PersonFactory(
        organization=managing,
        user=cast.officer_1,
        full_name="Lò Văn Thắng",
        position="Phó Giám đốc",
        official_email="thang.lv@thunghiem.gov.vn",
    )
    kwargs = {"agency": managing, "by": cast.ca_operator}
    certificate_issue(subject_kind=SubjectKind.PERSON, person=person, **kwargs)
    seal = certificate_issue(subject_kind=SubjectKind.ORGANIZATION, **kwargs)
    Certificate.objects.filter(pk=seal.pk).update(subject_organization=cast.office_1)
    return person
