"""Excel import of the CA's 19-column sheet: device and carrier columns, organisation levels,
duplicates, and the end of the data."""

import io
import unicodedata
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from requests_app import excel
from requests_app.choices import SimCarrier
from tests.factories import letter_draft, xlsx_upload
from tests.helpers import excel_confirm, excel_upload, import_report, sign_in
from tests.requests_app.ca_sheet import CA_HEADER, ca_line

pytestmark = pytest.mark.django_db


NFD_NAME = unicodedata.normalize("NFD", "Nguyễn Thị Hằng")
AGENCY = "Sở Tài chính tỉnh Lai Châu"


def ca_file():
    """Excel lines: 1 header, 2.. people."""
    return xlsx_upload(
        [
            CA_HEADER,
            ca_line(1, NFD_NAME, 12190001234),  # 2: CCCD stored as a number, 0 lost
            ca_line(2, "Lò Văn Pó", "012190005678", kind="SIM", carrier="Vinaphone", moved="X"),
            ca_line(3, "Lường Thị Ún", "012190009999", kind="SOFT"),  # 4: not on Mẫu 01
            ca_line(4, "Tòng Văn Xôm", "012180001111", place="Công an tỉnh"),  # 5
            ca_line(5, "Cầm Thị Ngọc", "012180002222", kind="TOKEN", carrier="Viettel"),  # 6
            ca_line(6, "Quàng Văn Thắng", "012180003333", email="thang@yahoo.com"),  # 7
        ]
    )


# --- the CA's 19-column sheet --------------------------------------------------------------
def test_ca_sheet_is_read_and_checked(client, cast):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    response = excel_upload(client, cert_request, ca_file())
    assert response.context["job"].result["layout"] == excel.LAYOUT_CA
    problems = import_report(response)
    assert set(problems) == {4, 5, 6, 7}, problems
    assert problems[4][0][0] == "Loại thiết bị" and "SOFT" in problems[4][0][1]
    assert problems[5] == [("Nơi cấp", "Nơi cấp phải là CCSQLHCVTTXH hoặc CCSĐKQLCTVDLQGVDC.")]
    assert problems[6][0][0] == "Nhà mạng"
    assert problems[7][0][0] == "Địa chỉ thư điện tử công vụ" and "yahoo.com" in problems[7][0][1]
    assert not cert_request.rows.exists()

    excel_confirm(client, cert_request, response.context["job"].pk)
    first, second = cert_request.rows.order_by("position")
    assert first.full_name == "Nguyễn Thị Hằng"
    assert first.national_id == "012190001234", "the ID's lost leading 0 is back"
    assert first.date_of_birth == date(1991, 4, 2)
    assert first.id_issue_date == date(2021, 7, 1)
    assert first.work_agency == "Phòng Ngân sách, Sở Tài chính, UBND tỉnh Lai Châu"
    assert first.mobile == "0912000101"
    assert first.sim_carrier == ""
    assert second.sim_carrier == SimCarrier.VINAPHONE and second.sim_keep_number


def test_ca_sheet_device_and_carrier_columns(client, cast):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    file = xlsx_upload(
        [
            CA_HEADER,
            ca_line(1, "Lò Văn Một", "012190000001", kind="SIM"),  # 2: SIM without carrier
            ca_line(2, "Lò Văn Hai", "012190000002", kind="USB"),  # 3: unknown kind
            ca_line(3, "Lò Văn Ba", "012190000003", kind="SIM", carrier="Viettel", moved="có"),
            ca_line(4, "Lò Văn Bốn", "012190000004", kind="SIM", carrier="Beeline"),  # 5
        ]
    )
    problems = import_report(excel_upload(client, cert_request, file))
    assert problems[2] == [("Nhà mạng", "Loại thiết bị SIM cần ghi nhà mạng.")]
    assert problems[3][0][0] == "Loại thiết bị" and "USB" in problems[3][0][1]
    assert problems[4] == [("Là chuyển số (X)", "Chỉ ghi X hoặc để trống.")]
    assert problems[5][0][0] == "Nhà mạng", "the carrier choices of the model refuse it"


def test_the_same_email_twice_in_a_file_is_a_duplicate(client, cast):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    file = xlsx_upload(
        [
            CA_HEADER,
            ca_line(1, "Lò Văn Một", "012190000001", email="chung@laichau.gov.vn"),
            ca_line(2, "Lò Văn Hai", "012190000002", email="Chung@LaiChau.gov.vn"),
        ]
    )
    problems = import_report(excel_upload(client, cert_request, file))
    assert problems == {
        3: [("Địa chỉ thư điện tử công vụ", "Trùng thư điện tử với dòng 2 của tệp.")]
    }


def test_reading_stops_after_a_long_run_of_empty_lines(client, cast):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    blank = [[None, " "] + [None] * 17 for _ in range(excel.MAX_BLANK_RUN)]
    file = xlsx_upload(
        [CA_HEADER, ca_line(1, "Lò Văn Một", "012190000001"), *blank, ca_line(2, "X", "1")]
    )
    response = excel_upload(client, cert_request, file)
    assert response.context["rows_read"] == 1
    assert response.context["problems"] == []


def test_rssp_rows_go_into_the_remote_signing_variant_and_only_there(client, cast):
    plain = letter_draft(cast)
    remote = letter_draft(cast, remote_signing=True)
    sign_in(client, cast.clerk_a)
    file = [
        CA_HEADER,
        ca_line(1, "Lò Văn Một", "012190000011", kind="TOKEN"),  # 2
        ca_line(2, "Lò Văn Hai", "012190000012", kind="RSSP"),  # 3
        ca_line(3, "Lò Văn Ba", "012190000013", kind="RSSP", carrier="Viettel"),  # 4
    ]

    into_plain = import_report(excel_upload(client, plain, xlsx_upload(file)))
    response = excel_upload(client, remote, xlsx_upload(file))
    into_remote = import_report(response)

    assert set(into_plain) == {3, 4}
    assert into_plain[3] == [
        (
            "Loại thiết bị",
            "Dòng RSSP (ký số tập trung) cần văn bản “Mẫu 01 – … sử dụng ký số tập trung”: tạo "
            "văn bản đó và nhập các dòng RSSP vào đó.",
        )
    ]
    assert set(into_remote) == {2, 4}
    assert into_remote[2] == [
        ("Loại thiết bị", "Văn bản ký số tập trung chỉ nhận dòng loại RSSP (dòng này là TOKEN).")
    ]
    assert ("Nhà mạng", "Chỉ ghi nhà mạng khi loại thiết bị là SIM (dòng này là RSSP).") in (
        into_remote[4]
    )
    excel_confirm(client, remote, response.context["job"].pk)
    (saved,) = remote.rows.all()
    assert saved.full_name == "Lò Văn Hai" and saved.sim_carrier == ""
    exported = client.get(reverse("requests_app:export", args=[remote.pk]))
    _header, line = list(load_workbook(io.BytesIO(exported.content)).active.values)
    assert line[1] == "Lò Văn Hai" and line[16:19] == (None, None, "RSSP")
