"""Fixtures of the device-signing tests (tests/requests_app/test_device_signing.py,
test_device_countersigning.py and test_device_desk_signing.py): the agency head and the
province's officer with their certificates (the token and the NSS database for pdfsig are in
tests/conftest.py)."""

import pytest

from tests import factories as f
from tests.requests_app.device_signing_world import head_of_agency_a, issue


@pytest.fixture
def head(cast, ca):
    """Agency A's head with a personal certificate, and the agency's seal."""
    return head_of_agency_a(cast)


@pytest.fixture
def officer(cast, ca):
    """The province's officer with a personal certificate (the receiving side of a Mẫu 08
    returned to the provincial point). The CA issues only to people under a managing agency
    (kind AGENCY or MINISTRY), so the officer's person sits under one."""
    managing = f.AgencyFactory(parent=cast.province_1, name="Sở Khoa học và Công nghệ")
    person = f.PersonFactory(
        organization=managing,
        user=cast.officer_1,
        full_name="Lò Văn Thắng",
        position="Chuyên viên",
        official_email="thang.lv@thunghiem.gov.vn",
    )
    issue(cast, person=person, agency=managing)
    return person
