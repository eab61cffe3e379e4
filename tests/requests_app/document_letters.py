"""Letters of every form with Vietnamese data in every field, issued on a fixed day: what the
document tests (PDF and Word) render and look for."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine

from devices.choices import DeviceStatus
from requests_app import services
from requests_app.choices import FormKind
from tests import factories as f

ISSUE_DAY = datetime(2026, 2, 5, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))

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


def _certificate(cast, serial, name, email):
    person = f.PersonFactory(
        organization=cast.agency_a,
        full_name=name,
        national_id="011188009999",
        official_email=email,
    )
    return f.CertificateFactory(
        agency=cast.agency_a, person=person, serial=serial, common_name=name, email=email
    )


def rows_for(cast, form):
    """Rows full of diacritics, and the strings the PDF must show for them."""
    if form == FormKind.ISSUE_PERSON:
        row = {
            "full_name": "Hoàng Thị Ngọc Ánh",
            "date_of_birth": date(1991, 8, 19),
            "national_id": "012191007788",
            "id_issue_date": date(2022, 3, 4),
            "id_issue_place": "CCSQLHCVTTXH",
            "email": "anhhtn@laichau.gov.vn",
            "work_agency": "Sở Tài chính",
            "province_name": "Lai Châu",
            "position_title": "Kế toán",
            "mobile": "0987654321",
            "sim_carrier": "viettel",
            "sim_keep_number": True,
        }
        shown = ["Hoàng Thị Ngọc Ánh", "19/08/1991", "012191007788", "04/03/2022"]
        return [row], shown + ["Kế toán", "0987654321", "Viettel/cs", "Lai Châu"]
    if form == FormKind.ISSUE_ORGANIZATION:
        row = {
            "organization_name": "Trung tâm Lưu trữ",
            "address": "Phường Đông Phong",
            "tax_code": "6200123456",
            "budget_code": "1123456",
            "province_name": "Lai Châu",
            "email": "luutru@laichau.gov.vn",
        }
        return [row], ["Trung tâm Lưu trữ", "Phường Đông Phong", "6200123456", "1123456"]
    if form == FormKind.ISSUE_DEVICE:
        row = {
            "service_name": "Cổng dịch vụ công",
            "service_version": "3.2",
            "domain_or_ip": "10.1.2.3",
            "organization_name": "Sở Tài chính",
            "tax_code": "6200123457",
            "budget_code": "1123457",
            "province_name": "Lai Châu",
            "email": "dvc@laichau.gov.vn",
            "purpose": "Ký số hồ sơ",
            "key_storage": "hsm",
        }
        return [row], ["Cổng dịch vụ công", "3.2", "10.1.2.3", "Ký số hồ sơ", "HSM"]
    if form == FormKind.RENEW_CHANGE:
        certificate = _certificate(
            cast, "54AB00000000C0DE", "Đặng Quốc Việt", "vietdq@laichau.gov.vn"
        )
        return [{"certificate": certificate, "renew": True}], [
            "Đặng Quốc Việt",
            "54AB00000000C0DE",
            "Gia hạn",
            "X",
        ]
    if form == FormKind.REVOKE:
        certificate = _certificate(
            cast, "54AB00000000BEEF", "Lường Văn Dũng", "dunglv@laichau.gov.vn"
        )
        return [{"certificate": certificate, "revoke_reason": "retired"}], [
            "Lường Văn Dũng",
            "54AB00000000BEEF",
            "011188009999",
        ]
    holder = f.PersonFactory(
        organization=cast.agency_a, full_name="Giàng Thị Dợ", official_email="dogt@laichau.gov.vn"
    )
    device = f.DeviceFactory(
        agency=cast.agency_a, holder=holder, serial="TK20260042", status=DeviceStatus.LOCKED
    )
    return [{"device": device}], ["TK20260042", "Giàng Thị Dợ", "dogt@laichau.gov.vn"]


def issued_letter(cast, form, *, frozen=True):
    """A letter of agency A with one row, issued by its head on ISSUE_DAY (today when not
    `frozen`: a worker thread must not see a stopped clock)."""
    rows, shown = rows_for(cast, form)
    letter = services.cert_request_create(
        agency=cast.agency_a, form=form, by=cast.clerk_a, **CONTACT
    )
    for data in rows:
        services.row_save(cert_request=letter, by=cast.clerk_a, data=data)
    services.cert_request_submit(cert_request=letter, by=cast.clerk_a)
    if frozen:
        with time_machine.travel(ISSUE_DAY, tick=False):
            services.cert_request_issue(cert_request=letter, by=cast.head_a)
    else:
        services.cert_request_issue(cert_request=letter, by=cast.head_a)
    letter.refresh_from_db()
    return letter, shown


ALL_FORMS = [
    FormKind.ISSUE_PERSON,
    FormKind.ISSUE_ORGANIZATION,
    FormKind.ISSUE_DEVICE,
    FormKind.RENEW_CHANGE,
    FormKind.REVOKE,
    FormKind.RECOVER_DEVICE,
]
HEADER = [
    "UBND TỈNH LAI CHÂU",
    "SỞ TÀI CHÍNH",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Lai Châu, ngày 05 tháng 02 năm 2026",
    "Trân trọng./.",
    "Nơi nhận:",
    "Lưu: VT.",
    "(bằng chữ: một)",
]
