"""Demo data: the 34 provinces with their Sở KH&CN, a realistic demo province (Lai Châu),
one agency in another province, and one account per role (two CA operators and two
administrators, so that one approves what the other asks under four eyes). Idempotent: loading twice changes
nothing.
"""

from base64 import b32decode
from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.accounts.twofactor import recovery_codes_store
from agencies.choices import OrgKind, Role
from agencies.models import FormerCode, Membership, Organization, Person
from agencies.provinces import PROVINCES_2025, REORGANISATION_DATE

DEMO_PASSWORD = "Demo@2026"  # noqa: S105 - published demo credential, documented in README
# The demo accounts that must sign in with a second factor share one published TOTP secret
# (type it into an authenticator app) and three fixed recovery codes (README "Demo accounts").
DEMO_TOTP_SECRET = "CONGCHUKYSODEMOLAICHAUTOTPSECRET"  # noqa: S105 - published demo credential
# Printed and typed as in the README; hyphens and spaces are ignored when a code is typed, and
# only their keyed hashes are stored (agencies/accounts/twofactor.py).
DEMO_RECOVERY_CODES = ("demo-0001", "demo-0002", "demo-0003")
DEMO_TWO_FACTOR_USERNAMES = (
    "so.khcn",
    "cuc.cts",
    "cuc.cts.2",
    "quantri",
    "quantri.2",
    "baove.dlcn",
)
CA_NAME = "Cục Chứng thực số và Bảo mật thông tin (mô phỏng)"
# Illustrative electronic identifiers (Quyết định 20/2020/QĐ-TTg structure, docs/exchange.md):
# not the official list's. The 34 provinces take H01…H34 in PROVINCES_2025's order, the 29
# former ones H35…H63 (kept as their history); within a province the Sở KH&CN is level-2
# unit 10 and the demo agencies the numbers below, their units level 3.
DEMO_CA_CODE = "000.00.12.G04"
DEMO_OFFICE_UNIT = 10


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    label: str


def _lower_first(name: str) -> str:
    return name[0].lower() + name[1:]


def _org(kind: str, name: str, parent: Organization | None = None, **fields) -> Organization:
    org, _ = Organization.objects.get_or_create(
        kind=kind, name=name, parent=parent, defaults=fields
    )
    return org


def _coded(org: Organization, code: str | None) -> Organization:
    """Give a demo organisation its illustrative code, once: a code changed since (by hand or
    by an import) is left as it is, and so is an organisation whose demo code another one
    holds or held on a development database (the code stays theirs: `make run` goes on, the
    demo organisation without a code)."""
    if org.code is not None or not code:
        return org
    taken = (
        Organization.objects.filter(code=code).exclude(pk=org.pk).exists()
        or FormerCode.objects.filter(code=code).exclude(organization=org).exists()
    )
    if not taken:
        org.code = code
        org.save(update_fields=["code"])
    return org


def _unit_code(parent: Organization, number: int) -> str | None:
    """The code of unit `number` one level under `parent`'s code (000.00.00.H03 → 000.00.05.H03,
    000.00.05.H03 → 000.02.05.H03); None when the parent has no code."""
    if not parent.code:
        return None
    low, third, second, first = parent.code.split(".")
    if second == "00":
        return f"{low}.{third}.{number:02d}.{first}"
    return f"{low}.{number:02d}.{second}.{first}"


def load_provinces() -> dict[str, Organization]:
    """The 34 provinces, their Sở KH&CN, and the 29 former provinces as superseded history."""
    merged_on = date(*REORGANISATION_DATE)
    provinces: dict[str, Organization] = {}
    former_number = len(PROVINCES_2025)
    for number, (name, absorbed) in enumerate(PROVINCES_2025, start=1):
        province = _coded(_org(OrgKind.PROVINCE, name), f"000.00.00.H{number:02d}")
        provinces[name] = province
        office = _org(
            OrgKind.PROVINCIAL_OFFICE,
            f"Sở Khoa học và Công nghệ {_lower_first(name)}",
            province,
            valid_from=date(2025, 3, 1),
        )
        _coded(office, _unit_code(province, DEMO_OFFICE_UNIT))
        for former in absorbed:
            former_number += 1
            old = _org(OrgKind.PROVINCE, former, valid_to=merged_on, superseded_by=province)
            _coded(old, f"000.00.00.H{former_number:02d}")
            if old.superseded_by_id != province.pk:
                old.superseded_by = province
                old.valid_to = merged_on
                old.save(update_fields=["superseded_by", "valid_to"])
    return provinces


_PEOPLE = [
    # (full name, dob, id suffix, position, unit key)
    ("Nguyễn Thị Thu Hà", date(1984, 3, 12), "1001", "Chánh Văn phòng", "van_phong"),
    ("Lò Văn Thắng", date(1979, 11, 2), "1002", "Giám đốc Sở", None),
    ("Trần Đức Minh", date(1990, 6, 25), "1003", "Trưởng phòng", "ngan_sach"),
    ("Phạm Thị Hường", date(1992, 1, 8), "1004", "Chuyên viên", "ngan_sach"),
    ("Vàng A Sử", date(1988, 9, 30), "1005", "Phó Giám đốc Sở", None),
    ("Đỗ Thị Lan Anh", date(1995, 4, 17), "1006", "Văn thư", "van_phong"),
    ("Hoàng Văn Dũng", date(1986, 12, 1), "1007", "Chuyên viên chính", "ngan_sach"),
]


@transaction.atomic
def load_demo() -> list[DemoAccount]:
    """Load everything and return the demo accounts, one per role (two CA operators, two
    administrators: four eyes)."""
    provinces = load_provinces()
    ca = _coded(_org(OrgKind.CA, CA_NAME, official_email="ca@ca-mophong.gov.vn"), DEMO_CA_CODE)

    lai_chau = provinces["Tỉnh Lai Châu"]
    office = Organization.objects.get(kind=OrgKind.PROVINCIAL_OFFICE, parent=lai_chau)
    finance = _org(
        OrgKind.AGENCY,
        "Sở Tài chính tỉnh Lai Châu",
        lai_chau,
        short_name="STC",
        tax_code="6200101234",
        budget_code="1123401",
        official_email="stc@laichau.gov.vn",
        address="Tầng 4, Khu Hợp khối các sở, phường Tân Phong, tỉnh Lai Châu",
    )
    _coded(finance, _unit_code(lai_chau, 5))
    units = {
        "van_phong": _org(OrgKind.UNIT, "Văn phòng Sở", finance),
        "ngan_sach": _org(OrgKind.UNIT, "Phòng Quản lý ngân sách", finance),
    }
    _coded(units["van_phong"], _unit_code(finance, 1))
    _coded(units["ngan_sach"], _unit_code(finance, 2))
    health = _org(
        OrgKind.AGENCY,
        "Sở Y tế tỉnh Lai Châu",
        lai_chau,
        short_name="SYT",
        tax_code="6200105678",
        budget_code="1123402",
        official_email="syt@laichau.gov.vn",
        address="Đường 19/8, phường Tân Phong, tỉnh Lai Châu",
    )
    _coded(health, _unit_code(lai_chau, 6))
    _coded(_org(OrgKind.UNIT, "Phòng Nghiệp vụ Y", health), _unit_code(health, 1))
    people_committee_office = _org(
        OrgKind.AGENCY,
        "Văn phòng Ủy ban nhân dân tỉnh Lai Châu",
        lai_chau,
        short_name="VPUBND",
        tax_code="6200100011",
        budget_code="1123403",
        official_email="vpubnd@laichau.gov.vn",
        address="Phường Tân Phong, tỉnh Lai Châu",
    )
    _coded(people_committee_office, _unit_code(lai_chau, 1))
    commune = _org(
        OrgKind.AGENCY,
        "Ủy ban nhân dân xã Tân Uyên",
        lai_chau,
        tax_code="6200100099",
        budget_code="1123404",
        official_email="ubnd.tanuyen@laichau.gov.vn",
        address="Xã Tân Uyên, tỉnh Lai Châu",
    )
    _coded(commune, _unit_code(lai_chau, 41))
    da_nang = provinces["Thành phố Đà Nẵng"]
    construction = _org(
        OrgKind.AGENCY,
        "Sở Xây dựng thành phố Đà Nẵng",
        da_nang,
        tax_code="0400101556",
        budget_code="1041201",
        official_email="sxd@danang.gov.vn",
        address="24 Trần Phú, thành phố Đà Nẵng",
    )
    _coded(construction, _unit_code(da_nang, 7))

    people = []
    for full_name, dob, suffix, position, unit_key in _PEOPLE:
        person, _ = Person.objects.with_national_id(f"01218500{suffix}").get_or_create(
            defaults={
                "national_id": f"01218500{suffix}",
                "full_name": full_name,
                "date_of_birth": dob,
                "id_issue_date": date(2021, 8, 10),
                "id_issue_place": "CCSQLHCVTTXH",
                "position": position,
                "mobile": f"0912{suffix}{suffix[-2:]}",
                "official_email": f"nguoidung{suffix}@laichau.gov.vn",
                "organization": units[unit_key] if unit_key else finance,
            },
        )
        people.append(person)
    Person.objects.with_national_id("048190002001").get_or_create(
        defaults={
            "national_id": "048190002001",
            "full_name": "Lê Quang Vinh",
            "date_of_birth": date(1987, 7, 7),
            "id_issue_date": date(2022, 2, 2),
            "id_issue_place": "CCSĐKQLCTVDLQGVDC",
            "position": "Chuyên viên",
            "mobile": "0905123456",
            "official_email": "vinhlq@danang.gov.vn",
            "organization": construction,
        },
    )

    user_model = get_user_model()

    def account(
        username, role, org, label, *, name=("", ""), person=None, superuser=False
    ) -> DemoAccount:
        user, created = user_model.objects.get_or_create(
            username=username,
            # An address, so the console e-mail backend of `make run` shows what each step sends;
            # a name (family and middle names first, as Vietnamese names are written), so
            # history names people, not accounts.
            defaults={
                "is_superuser": superuser,
                "is_staff": superuser,
                "email": f"{username}@demo.gov.vn",
                "first_name": name[0],
                "last_name": name[1],
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        Membership.objects.get_or_create(user=user, role=role, organization=org)
        if person is not None and person.user_id != user.pk:
            person.user = user
            person.save(update_fields=["user"])
        return DemoAccount(username, DEMO_PASSWORD, role, label)

    accounts = [
        account(
            "canbo.stc",
            Role.AGENCY_CLERK,
            finance,
            "Cán bộ đầu mối, Sở Tài chính Lai Châu",
            name=("Nguyễn Thị", "Thu Hà"),
        ),
        account(
            "lanhdao.stc",
            Role.AGENCY_HEAD,
            finance,
            "Giám đốc Sở Tài chính Lai Châu",
            person=people[1],
        ),
        account(
            "so.khcn",
            Role.PROVINCIAL_OFFICER,
            office,
            "Cán bộ Sở KH&CN Lai Châu",
            name=("Lò Văn", "Bình"),
        ),
        account(
            "cuc.cts",
            Role.CA_OPERATOR,
            ca,
            "Cán bộ Cục CTS&BMTT (mô phỏng)",
            # the name of the person the letters' demo gives this account
            # (requests_app/demo.py, `demo_device_signers`): one name everywhere
            name=("Vũ Đức", "Thắng"),
        ),
        # A second CA operator: what one CA operator asks under four eyes (a bulk revocation
        # of an organisation's certificate, a registered revocation) another one approves
        # (docs/approvals.md, "Who decides"), so the demo can walk it.
        account(
            "cuc.cts.2",
            Role.CA_OPERATOR,
            ca,
            "Cán bộ Cục CTS&BMTT thứ hai (phê duyệt hai người)",
            name=("Hoàng Minh", "Đức"),
        ),
        account("thuebao", Role.SUBSCRIBER, None, "Thuê bao Phạm Thị Hường", person=people[3]),
        account("quantri", Role.ADMINISTRATOR, None, "Quản trị hệ thống", superuser=True),
        account(
            "quantri.2",
            Role.ADMINISTRATOR,
            None,
            "Quản trị hệ thống thứ hai (phê duyệt hai người)",
            name=("Lê Thanh", "Tâm"),
            superuser=True,
        ),
        account(
            "baove.dlcn",
            Role.DATA_PROTECTION_OFFICER,
            None,
            "Cán bộ bảo vệ dữ liệu cá nhân",
            name=("Đỗ Thị", "Lan"),
        ),
        account(
            "canbo.syt",
            Role.AGENCY_CLERK,
            health,
            "Cán bộ đầu mối, Sở Y tế Lai Châu",
            name=("Vàng Thị", "Mai"),
        ),
        # The health department's head signs with SIM PKI (docs/remote-signing.md, "SIM PKI"):
        # their certificate and the department's seal on SIMs (remote_signing/demo.py).
        account(
            "lanhdao.syt",
            Role.AGENCY_HEAD,
            health,
            "Giám đốc Sở Y tế Lai Châu (ký bằng SIM PKI)",
            name=("Tòng Văn", "Hải"),
        ),
        account(
            "canbo.sxd.dn",
            Role.AGENCY_CLERK,
            construction,
            "Cán bộ đầu mối, Sở Xây dựng Đà Nẵng",
            name=("Lê Minh", "Tuấn"),
        ),
        # The construction department's head signs with keys in the CA's HSM: their
        # certificate and the seal (docs/remote-signing.md, "In the demo").
        account(
            "lanhdao.sxd.dn",
            Role.AGENCY_HEAD,
            construction,
            "Giám đốc Sở Xây dựng Đà Nẵng (ký số tập trung)",
            name=("Nguyễn Văn", "Thành"),
        ),
    ]
    for username in DEMO_TWO_FACTOR_USERNAMES:
        enrol_demo_two_factor(user_model.objects.get(username=username))
    return accounts


def enrol_demo_two_factor(user) -> None:
    """Give a demo account the published authenticator secret and recovery codes (again: a
    used demo recovery code comes back when the demo is loaded again)."""
    key = b32decode(DEMO_TOTP_SECRET).hex()
    device = TOTPDevice.objects.filter(user=user, key=key).first()
    if device is None:
        TOTPDevice.objects.filter(user=user).delete()
        TOTPDevice.objects.create(user=user, name="Demo", key=key, confirmed=True)
    recovery_codes_store(user=user, codes=DEMO_RECOVERY_CODES)
