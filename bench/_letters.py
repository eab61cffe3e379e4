"""Issued letters for the benchmarks, stored in their throw-away database as the head's
issuance leaves them (number, date, the head's transition), with every column filled and
diacritics in the names; the functions run once Django is set up."""

from __future__ import annotations

from datetime import date

ISSUED_ON = date(2026, 2, 5)

CONTACT = {
    "contact_name": "Nguyễn Thị Thu Hà",
    "contact_national_id": "012190004321",
    "contact_id_issue_date": date(2021, 7, 1),
    "contact_id_issue_place": "CCSQLHCVTTXH",
    "contact_position": "Chánh Văn phòng",
    "contact_mobile": "0912100101",
    "contact_email": "ha@laichau.gov.vn",
    "delivery_address": "Phường Đông Phong, tỉnh Lai Châu",
    "contact_agency": "Sở Tài chính",
}
PERSON_ROW = {  # Mẫu 01: every column filled, diacritics in the names
    "full_name": "Hoàng Thị Ngọc Ánh",
    "date_of_birth": date(1991, 8, 19),
    "national_id": "012191007788",
    "id_issue_date": date(2022, 3, 4),
    "id_issue_place": "CCSQLHCVTTXH",
    "email": "anhhtn@laichau.gov.vn",
    "work_agency": "Sở Tài chính",
    "province_name": "Lai Châu",
    "position_title": "Chuyên viên",
    "mobile": "0987654321",
    "sim_carrier": "viettel",
    "sim_keep_number": True,
}
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ")
MIDDLE = ("Văn", "Thị", "Minh", "Ngọc", "Đức", "Thu", "Quang", "Thanh")
GIVEN = ("Anh", "Bình", "Châu", "Dũng", "Hà", "Hùng", "Lan", "Long", "Mai", "Nam", "Phương",
         "Quân", "Sơn", "Tâm", "Trang", "Việt")  # fmt: skip
ORGANIZATION_ROW = {  # Mẫu 02
    "organization_name": "Trung tâm Lưu trữ lịch sử",
    "address": "Phường Đông Phong",
    "tax_code": "6200123456",
    "budget_code": "1123456",
    "province_name": "Lai Châu",
    "email": "luutru@laichau.gov.vn",
}


def build_agency():
    """A provincial agency with its clerk and its head (a person record, for the signature
    block and the head's personal certificate); the `world` issued_letter() takes."""
    from django.contrib.auth import get_user_model

    from agencies.choices import OrgKind, Role
    from agencies.models import Membership, Organization, Person

    province = Organization.objects.create(kind=OrgKind.PROVINCE, name="Tỉnh Lai Châu")
    Organization.objects.create(
        kind=OrgKind.PROVINCIAL_OFFICE,
        name="Sở Khoa học và Công nghệ tỉnh Lai Châu",
        parent=province,
    )
    agency = Organization.objects.create(
        kind=OrgKind.AGENCY,
        name="Sở Tài chính tỉnh Lai Châu",
        parent=province,
        official_email="vanthu@stc.laichau.gov.vn",
    )
    users = get_user_model().objects
    clerk, head = users.create(username="bench_clerk"), users.create(username="bench_head")
    Membership.objects.create(user=clerk, role=Role.AGENCY_CLERK, organization=agency)
    Membership.objects.create(user=head, role=Role.AGENCY_HEAD, organization=agency)
    Person.objects.create(
        full_name="Trần Văn Hùng",
        national_id="100000000001",
        official_email="hungtv@stc.laichau.gov.vn",
        position="Giám đốc",
        organization=agency,
        user=head,
    )
    return agency, clerk, head


def person_row(position: int) -> dict:
    """A Mẫu 01 row of its own person: name, ID number, e-mail and phone differ by row."""
    i = position - 1
    name = f"{FAMILY[i % 10]} {MIDDLE[i // 10 % 8]} {GIVEN[i // 80 % 16]}"
    return {
        **PERSON_ROW,
        "full_name": name,
        "national_id": f"0121{91000000 + position:08d}",
        "email": f"canbo{position}@laichau.gov.vn",
        "mobile": f"098{position:07d}",
    }


def issued_letter(world, form: str, rows: int, number: int, *, distinct: bool = False) -> int:
    """An issued letter of `rows` rows, stored as the issuance leaves it (number, date, the
    head's transition); the rendering and signing that follow are what the benchmarks time.
    `distinct`: a Mẫu 01's rows name different people (`person_row`), as processing needs."""
    from requests_app.choices import FormKind, Status
    from requests_app.models import CertRequest, RequestRow, Transition

    agency, clerk, head = world
    letter = CertRequest.objects.create(
        form=form,
        agency=agency,
        status=Status.ISSUED,
        number=f"{number}/STC-CKS",
        issued_on=ISSUED_ON,
        created_by=clerk,
        **CONTACT,
    )

    def values(position: int) -> dict:
        if form != FormKind.ISSUE_PERSON:
            return ORGANIZATION_ROW
        return person_row(position) if distinct else PERSON_ROW

    RequestRow.objects.bulk_create(
        (
            RequestRow(cert_request=letter, position=position, **values(position))
            for position in range(1, rows + 1)
        ),
        batch_size=1000,
    )
    Transition.objects.create(
        cert_request=letter,
        from_status=Status.AWAITING_HEAD,
        to_status=Status.ISSUED,
        action="issue",
        by=head,
    )
    return letter.pk
