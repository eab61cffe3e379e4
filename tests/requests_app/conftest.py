"""Fixtures of the device-signing tests (tests/requests_app/test_device_signing.py and
test_device_countersigning.py): the agency head and the province's officer with their
certificates, a token handed to the agency, and an NSS database trusting the simulated CA."""

import pytest

from certificates.choices import SubjectKind
from certificates.models import RevocationList
from devices.models import (
    CustodyRecord,
)
from tests import factories as f
from tests.certificates.pdf_tools import nss_db_trusting
from tests.requests_app.device_signing_world import issue


@pytest.fixture
def head(cast, ca):
    """Agency A's head with a personal certificate, and the agency's seal."""
    person = f.PersonFactory(
        organization=cast.agency_a,
        user=cast.head_a,
        full_name="Trần Thị Ánh Dương",
        position="Giám đốc",
        official_email="duong.tta@thunghiem.gov.vn",
    )
    issue(cast, person=person)
    issue(cast, subject_kind=SubjectKind.ORGANIZATION)
    return person


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


@pytest.fixture
def nss(tmp_path, ca):
    crls = [bytes(crl.der) for crl in RevocationList.objects.all()]
    return nss_db_trusting(
        tmp_path / "nss",
        root_der=bytes(ca.root.certificate_der),
        issuing_der=bytes(ca.issuing.certificate_der),
        crls=crls,
    )


@pytest.fixture
def token(cast):
    holder = f.PersonFactory(organization=cast.agency_a, full_name="Phạm Thị Hường")
    device = f.DeviceFactory(
        agency=cast.agency_a, holder=holder, serial="VT26000777", status="delivered_to_agency"
    )
    CustodyRecord.objects.create(
        device=device,
        status=device.status,
        holder_kind=CustodyRecord.HolderKind.AGENCY,
        agency=cast.agency_a,
        held_from=device.created_at,
    )
    return device
