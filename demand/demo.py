"""The demo's demand registration (docs/domain.md §11): the provincial officer's personal
certificate and the Sở KH&CN's seal (to sign the province's summary and monthly report) and a
nationwide campaign open for answers.
Idempotent, like the rest of the demo."""

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from agencies.choices import OrgKind
from agencies.models import Organization, Person
from certificates.choices import SubjectKind
from certificates.services import certificate_issue
from certificates.signing import personal_signing_certificate, seal_certificate
from demand.models import Campaign
from demand.services import campaign_open
from devices.choices import DeviceKind
from devices.services import (
    device_deliver_for_certificate,
    device_token_demo_pin_set,
    token_store_on,
)


def _demo_device(agency, holder, operator):
    """With the token store, the key pair is generated in a device's token: a USB token from
    the CA's stock, delivered for the certificate (docs/ca.md, "Subscribers' tokens"); the
    software store needs none."""
    if not token_store_on():
        return None
    return device_deliver_for_certificate(
        kind=DeviceKind.USB_TOKEN, agency=agency, holder=holder, by=operator, document_ref="Demo"
    )


def _demo_pin(certificate, operator) -> None:
    if certificate.device_id is not None:
        device_token_demo_pin_set(device=certificate.device, by=operator)


def load_demand_demo() -> None:
    users = get_user_model().objects
    officer, operator = users.get(username="so.khcn"), users.get(username="cuc.cts")
    office = Organization.objects.get(kind=OrgKind.PROVINCIAL_OFFICE, parent__name="Tỉnh Lai Châu")
    if personal_signing_certificate(officer) is None:
        person, _created = Person.objects.with_national_id("012090007001").get_or_create(
            defaults={
                "national_id": "012090007001",
                "full_name": "Lò Văn Bình",
                "date_of_birth": date(1990, 7, 1),
                "id_issue_date": date(2022, 6, 6),
                "id_issue_place": "CCSĐKQLCTVDLQGVDC",
                "position": "Phó Giám đốc",
                "mobile": "0912007001",
                "official_email": "binhlv@laichau.gov.vn",
                "organization": office,
                "user": officer,
            },
        )
        issued = certificate_issue(
            subject_kind=SubjectKind.PERSON, agency=office, person=person, by=operator,
            device=_demo_device(office, person, operator),
        )  # fmt: skip
        _demo_pin(issued, operator)
    if seal_certificate(office) is None:  # the Sở's seal, for its monthly report
        issued = certificate_issue(
            subject_kind=SubjectKind.ORGANIZATION,
            agency=office,
            subject_organization=office,
            by=operator,
            device=_demo_device(office, None, operator),
        )
        _demo_pin(issued, operator)
    if not Campaign.objects.exists():
        year = timezone.localdate().year + 1
        campaign_open(
            by=operator,
            province=None,
            start_year=year,
            end_year=year + 4,
            due_on=timezone.localdate() + timedelta(days=20),
            reference="86/BCY-CTSBMTT",
            note=(
                "Căn cứ nhu cầu sử dụng của các cơ quan, tổ chức, cá nhân thuộc phạm vi quản lý "
                "và số lượng chứng thư số đã được cấp, đề nghị các cơ quan đề xuất nhu cầu cấp "
                "mới chứng thư số theo mẫu đăng ký."
            ),
        )
