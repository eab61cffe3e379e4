"""Subjects built from the organisation tree; the simulated device's key for demo letters."""

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from agencies.choices import OrgKind
from certificates import services
from certificates.exceptions import CertificateError
from certificates.subjects import locality_of, subject_for
from portal.models import AuditEvent
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_a_ministry_official_has_the_ministry_as_o_and_no_locality():
    ministry = f.AgencyFactory(kind=OrgKind.MINISTRY, parent=None, name="Bộ Tài chính")
    department = f.UnitFactory(parent=ministry, name="Vụ Ngân sách nhà nước")
    office = f.UnitFactory(parent=department, name="Phòng Tổng hợp")
    deeper = f.UnitFactory(parent=office, name="Tổ Một")
    deepest = f.UnitFactory(parent=deeper, name="Nhóm A")

    subject = subject_for(node=deepest, common_name="Trần Thị B", email="b@mof.gov.vn")

    assert subject.organization == "BỘ TÀI CHÍNH"
    assert subject.units == ("Vụ Ngân sách nhà nước", "Phòng Tổng hợp", "Tổ Một")  # levels 2–4
    assert subject.locality == ""


def test_a_top_level_organisation_names_itself_as_o():
    ministry = f.AgencyFactory(kind=OrgKind.MINISTRY, parent=None, name="Bộ Nội vụ")

    subject = subject_for(node=ministry, common_name="Bộ Nội vụ", email="", include_node=False)

    assert subject.organization == "BỘ NỘI VỤ" and subject.units == ()


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Tỉnh Lai Châu", "Lai Châu"), ("Thành phố Đà Nẵng", "Đà Nẵng"), ("Hà Nội", "Hà Nội")],
)
def test_the_locality_is_the_province_without_its_prefix(name, expected):
    assert locality_of(f.ProvinceFactory.build(name=name)) == expected


def test_a_non_ascii_email_is_refused(cast):
    with pytest.raises(CertificateError):
        subject_for(node=cast.unit_a, common_name="A", email="thư@thunghiem.gov.vn")


def test_the_simulated_device_key_signs_for_its_certificate(issue, cast):
    certificate = issue()

    material = services.certificate_signing_material(certificate=certificate, by=cast.clerk_a)

    signature = material.private_key.sign(b"Mau 01", padding.PKCS1v15(), hashes.SHA256())
    leaf = x509.load_der_x509_certificate(material.certificate_der)
    leaf.public_key().verify(signature, b"Mau 01", padding.PKCS1v15(), hashes.SHA256())
    chain = [x509.load_der_x509_certificate(der) for der in material.chain_der]
    leaf.verify_directly_issued_by(chain[0])
    chain[0].verify_directly_issued_by(chain[1])
    assert AuditEvent.objects.filter(action="device_key.use", object_id=str(certificate.pk))


def test_a_registry_row_without_a_key_has_no_signing_material(cast, ca):
    row = f.CertificateFactory(person=cast.subscriber, agency=cast.agency_a)

    with pytest.raises(CertificateError):
        services.certificate_signing_material(certificate=row, by=cast.clerk_a)


@pytest.mark.parametrize(
    "common_name",
    ["Nguyễn Văn A", 'Tên "lạ", có; dấu + <và> \\ gạch', "#số một", " khoảng trắng ", "a\0b"],
)
def test_the_registry_dn_is_what_cryptography_prints(common_name):
    from certificates.backends.x509build import dn_string, subject_dn_string, x509_name
    from certificates.subjects import SubjectInfo

    subject = SubjectInfo(
        common_name=common_name,
        email="a@b.gov.vn",
        organization="UBND TỈNH LAI CHÂU",
        units=("Sở Tài chính, Kế hoạch", "Phòng Một"),
        locality="Lai Châu",
    )

    assert subject_dn_string(subject) == dn_string(x509_name(subject))
