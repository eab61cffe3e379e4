"""The world of the masking tests of exports, the API and documents (docs/privacy.md,
"Exports, API and documents"): a Mẫu 01 letter of agency A forwarded to the CA (seen by its
clerk and head, province 1's officer, the CA and administrators) with a contact's ID and two
rows, a SIM PKI of agency A held by its subscriber, and the seven roles of the matrix."""

from datetime import date
from types import SimpleNamespace

from django.utils import timezone

from agencies.choices import Role
from devices.choices import DeviceKind, DeviceStatus
from privacy.models import Access
from requests_app import services
from requests_app.choices import FormKind, Status
from requests_app.models import CertRequest
from tests import factories as f
from tests.privacy.world import officer
from tests.requests_app.letters import CONTACT

# The matrix's roles: the cast's (tests/cast.py) and two more.
ROLES = (
    "clerk_a",
    "head_a",
    "officer_1",
    "ca_operator",
    "subscriber_user",
    "administrator",
    "dpo",
)
# Who may see ID numbers, birth and ID issue dates and phones in full (privacy/inventory.py):
# not the head, not an administrator (their override opens scope, not personal data).
MAY_SEE_FULL = {"clerk_a", "officer_1", "ca_operator"}
# Who sees the forwarded letter at all (`visible_to`); the others get 404.
SEE_LETTER = {"clerk_a", "head_a", "officer_1", "ca_operator", "administrator"}
# Who sees the SIM (the subscriber holds it; the DPO sees no device).
SEE_DEVICE = {"clerk_a", "head_a", "officer_1", "ca_operator", "subscriber_user", "administrator"}

CONTACT_ID = "012190009999"
IDS = ("012190000101", "012190000102")
PHONE = "0987654321"
REASON = "Đối chiếu danh sách với hồ sơ gốc"


def person_row(n: int) -> dict:
    return {
        "full_name": f"Lò Thị Mai {n}",
        "date_of_birth": date(1990, 3, n),
        "national_id": IDS[n - 1],
        "id_issue_date": date(2021, 7, n),
        "id_issue_place": "CCSQLHCVTTXH",
        "email": f"mai{n}@laichau.gov.vn",
        "work_agency": "Phòng Ngân sách, Sở Tài chính",
        "province_name": "Lai Châu",
        "position_title": "Chuyên viên",
        "mobile": f"091234567{n}",
    }


def letter_draft(cast, rows: int = 2) -> CertRequest:
    """A Mẫu 01 draft of agency A with a contact's ID and `rows` people."""
    letter = services.cert_request_create(
        agency=cast.agency_a,
        form=FormKind.ISSUE_PERSON,
        by=cast.clerk_a,
        **CONTACT,
        contact_national_id=CONTACT_ID,
        contact_id_issue_date=date(2020, 1, 2),
        contact_id_issue_place="CCSQLHCVTTXH",
    )
    for n in range(1, rows + 1):
        services.row_save(cert_request=letter, by=cast.clerk_a, data=person_row(n))
    return letter


def forwarded(cast, rows: int = 2) -> CertRequest:
    """The draft as the CA sees it once forwarded: issued and forwarded (set directly: these
    tests are about what a reader gets, not about the workflow)."""
    letter = letter_draft(cast, rows)
    CertRequest.objects.filter(pk=letter.pk).update(
        status=Status.FORWARDED,
        number="15/STC-CDS",
        issued_on=timezone.localdate(),
        forwarded_at=timezone.now(),
    )
    letter.refresh_from_db()
    return letter


def world(cast) -> SimpleNamespace:
    administrator = f.UserFactory(username="administrator", is_superuser=True, is_staff=True)
    f.MembershipFactory(user=administrator, role=Role.ADMINISTRATOR, organization=None)
    users = {name: getattr(cast, name, None) for name in ROLES}
    users["administrator"] = administrator
    users["dpo"] = officer()
    sim = f.DeviceFactory(
        agency=cast.agency_a,
        kind=DeviceKind.SIM_PKI,
        serial="",
        iccid="8984048000123456781",
        phone=PHONE,
        carrier="viettel",
        holder=cast.subscriber,
        status=DeviceStatus.HANDED_TO_SUBSCRIBER,
    )
    return SimpleNamespace(users=users, letter=forwarded(cast), sim=sim)


def accesses():
    return list(Access.objects.order_by("pk"))
