"""factory_boy factories for the whole suite."""

import io
import re
import zipfile
from datetime import date, timedelta
from xml.sax.saxutils import escape

import factory
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook

from agencies.choices import OrgKind, Role
from agencies.models import Membership, Organization, Person
from certificates.choices import SubjectKind
from certificates.models import Certificate
from devices.choices import DeviceKind
from devices.models import Device
from portal.lib.xlsx import XLSX_CONTENT_TYPE
from requests_app import services
from requests_app.choices import FormKind
from requests_app.models import RequestRow


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("mat-khau-thu-nghiem")


class ProvinceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    kind = OrgKind.PROVINCE
    name = factory.Sequence(lambda n: f"Tỉnh Thử Nghiệm {n}")


class ProvincialOfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    kind = OrgKind.PROVINCIAL_OFFICE
    name = factory.LazyAttribute(lambda o: f"Sở Khoa học và Công nghệ {o.parent.name}")
    parent = factory.SubFactory(ProvinceFactory)


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    kind = OrgKind.AGENCY
    name = factory.Sequence(lambda n: f"Sở Thử Nghiệm số {n}")
    parent = factory.SubFactory(ProvinceFactory)
    tax_code = factory.Sequence(lambda n: f"{4000000000 + n}")
    budget_code = factory.Sequence(lambda n: f"{1000000 + n}")
    official_email = factory.Sequence(lambda n: f"vanthu{n}@thunghiem.gov.vn")
    address = "Số 1 đường Thử Nghiệm"


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    kind = OrgKind.UNIT
    name = factory.Sequence(lambda n: f"Phòng số {n}")
    parent = factory.SubFactory(AgencyFactory)


class CAOrgFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("kind", "name")

    kind = OrgKind.CA
    name = "Cục Chứng thực số và Bảo mật thông tin (mô phỏng)"


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    full_name = factory.Sequence(lambda n: f"Nguyễn Văn Thử {n}")
    date_of_birth = date(1985, 5, 17)
    national_id = factory.Sequence(lambda n: f"{1000_0000_0000 + n:012d}")
    id_issue_date = date(2021, 7, 1)
    id_issue_place = "CCSQLHCVTTXH"
    position = "Chuyên viên"
    mobile = factory.Sequence(lambda n: f"09{n:08d}")
    official_email = factory.Sequence(lambda n: f"nguoidung{n}@thunghiem.gov.vn")
    organization = factory.SubFactory(AgencyFactory)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.AGENCY_CLERK
    organization = factory.SubFactory(AgencyFactory)


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Device

    kind = DeviceKind.USB_TOKEN
    serial = factory.Sequence(lambda n: f"TK{n:08d}")
    agency = factory.SubFactory(AgencyFactory)


class CertificateFactory(factory.django.DjangoModelFactory):
    """A registry row without X.509 behind it: for scoping and list tests only."""

    class Meta:
        model = Certificate

    serial = factory.Sequence(lambda n: f"{0x5400000000000000 + n:X}")  # upper hex, as the CA
    subject_kind = SubjectKind.PERSON
    person = factory.SubFactory(PersonFactory)
    agency = factory.LazyAttribute(lambda o: o.person.organization)
    common_name = factory.LazyAttribute(
        lambda o: o.person.full_name if o.person else o.subject_organization.name
    )
    email = factory.LazyAttribute(
        lambda o: o.person.official_email if o.person else o.subject_organization.official_email
    )
    not_before = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    not_after = factory.LazyFunction(lambda: timezone.now() + timedelta(days=365))


# --- letters (requests_app) and their Excel files ------------------------------------------
LETTER_CONTACT = {
    "contact_name": "Nguyễn Thị Thu Hà",
    "contact_mobile": "0912100101",
    "contact_email": "ha@laichau.gov.vn",
}
# A Mẫu 01 row as the row form posts it.
PERSON_ROW = {
    "full_name": "Lò Thị Mai",
    "date_of_birth": "05/03/1990",
    "national_id": "012190001234",
    "id_issue_date": "01/07/2021",
    "id_issue_place": "CCSQLHCVTTXH",
    "email": "mai@laichau.gov.vn",
    "work_agency": "Sở Tài chính tỉnh Lai Châu",
    "province_name": "Lai Châu",
    "position_title": "Chuyên viên",
    "mobile": "0912345678",
    "old_serial": "",
    "sim_carrier": "",
}


def letter_draft(cast, form=FormKind.ISSUE_PERSON, agency=None, **contact):
    """A draft letter of agency A (or `agency`) by its clerk, section 1 filled in."""
    return services.cert_request_create(
        agency=agency or cast.agency_a, form=form, by=cast.clerk_a, **{**LETTER_CONTACT, **contact}
    )


def letter_row_add(cert_request, by, **overrides):
    """A valid Mẫu 01 row, added through the service."""
    data = {
        "full_name": "Lò Thị Mai",
        "date_of_birth": date(1990, 3, 5),
        "national_id": "012190001234",
        "id_issue_date": date(2021, 7, 1),
        "id_issue_place": "CCSQLHCVTTXH",
        "email": "mai@laichau.gov.vn",
        "work_agency": "Sở Tài chính",
        "province_name": "Lai Châu",
        "position_title": "Chuyên viên",
        "mobile": "0912345678",
        **overrides,
    }
    return services.row_save(cert_request=cert_request, by=by, data=data)


def letter_rows_bulk(cert_request, n):
    """`n` bare rows at once, bypassing the rules (query budget tests)."""
    RequestRow.objects.bulk_create(
        RequestRow(
            cert_request=cert_request,
            position=i,
            full_name=f"Người thứ {i}",
            national_id=f"{i:012d}",
            email=f"nguoi{i}@laichau.gov.vn",
        )
        for i in range(1, n + 1)
    )


def certificate_valid_for(cast, agency=None, days_left=200, **fields):
    """A registry certificate of a person of agency A (or `agency`) with `days_left` to run."""
    agency = agency or cast.agency_a
    fields.setdefault("person", PersonFactory(organization=agency))
    return CertificateFactory(
        agency=agency, not_after=timezone.now() + timedelta(days=days_left, hours=1), **fields
    )


def xlsx_upload(lines, *, title_lines=(), name="danh-sach.xlsx", cached=None):
    """An uploaded .xlsx whose first sheet has `title_lines` (one cell each) then `lines`.
    `cached`: coordinate → the value Excel would have stored for the formula in that cell
    (openpyxl writes formulas without one)."""
    book = Workbook()
    sheet = book.active
    for line in title_lines:
        sheet.append([line])
    for line in lines:
        sheet.append(line)
    out = io.BytesIO()
    book.save(out)
    content = with_cached_values(out.getvalue(), cached) if cached else out.getvalue()
    return SimpleUploadedFile(name, content, content_type=XLSX_CONTENT_TYPE)


def with_cached_values(content: bytes, cached: dict) -> bytes:
    """An openpyxl-written .xlsx with the formula cells of `cached` (coordinate → value)
    carrying that computed value, as Excel and LibreOffice store it (text as t="str")."""
    source = zipfile.ZipFile(io.BytesIO(content))
    sheet = source.read("xl/worksheets/sheet1.xml").decode()
    for coordinate, value in cached.items():
        kind = ' t="str"' if isinstance(value, str) else ""
        sheet, count = re.subn(
            rf'<c r="{coordinate}"><f>(.*?)</f><v\s*/?>(?:</v>)?',
            lambda m, kind=kind, value=value, coordinate=coordinate: (
                f'<c r="{coordinate}"{kind}><f>{m.group(1)}</f><v>{escape(str(value))}</v>'
            ),
            sheet,
        )
        assert count == 1, f"no formula cell {coordinate}"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = sheet.encode() if item.filename == "xl/worksheets/sheet1.xml" else None
            target.writestr(item, data if data is not None else source.read(item.filename))
    return out.getvalue()


def mau01_people_upload(count: int, *, name="danh-sach.xlsx"):
    """A Mẫu 01 list (11 columns) of `count` valid, distinct people of agency A."""
    from requests_app.excel import MAU01_HEADERS

    lines = [[title for title, _fragments in MAU01_HEADERS]]
    for n in range(1, count + 1):
        lines.append(
            [
                n,
                f"Lò Văn Người {n}",
                "05/03/1990",
                f"0121{n:08d} / 01/07/2021, CCSQLHCVTTXH",
                f"nguoi{n}@laichau.gov.vn",
                "Sở Tài chính tỉnh Lai Châu",
                "Lai Châu",
                "Chuyên viên",
                f"09{n:08d}",
                None,
                None,
            ]
        )
    return xlsx_upload(lines, name=name)
