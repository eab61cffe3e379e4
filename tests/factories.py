"""factory_boy factories for the whole suite."""

from datetime import date, timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from agencies.choices import OrgKind, Role
from agencies.models import Membership, Organization, Person
from certificates.choices import SubjectKind
from certificates.models import Certificate
from devices.choices import DeviceKind
from devices.models import Device


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
