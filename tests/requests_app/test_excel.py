"""Excel import (both layouts) and export of Mẫu 01 letters.

The workbooks are built here with openpyxl, with what real files contain: title lines above
the header, decomposed diacritics, phone numbers stored as numbers, dates as real dates or as
text, a bad ID, a Gmail address and a duplicate. Nothing is saved before the clerk confirms.
"""

import io
import unicodedata
from datetime import date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from requests_app import excel, services
from requests_app.choices import FormKind, SimCarrier
from requests_app.views.drafting import IMPORT_SESSION_KEY
from tests.requests_app.test_drafting import CONTACT, LOGIN, add_row, answer, draft, login

pytestmark = pytest.mark.django_db

MAU01_HEADER = [
    "STT",
    "Họ và tên",
    "Ngày sinh",
    "Số định danh cá nhân/\nngày cấp, nơi cấp",
    "Địa chỉ thư điện tử công vụ",
    "Tên cơ quan, tổ chức công tác",
    "Tỉnh/Thành phố",
    "Chức vụ",
    "Số điện thoại di động",
    "Số hiệu chứng thư cũ (nếu có)",
    "SIM PKI",
]
CA_HEADER = [
    "STT",
    "Họ tên",
    "Ngày sinh (dd/MM/yyyy)",
    "CCCD",
    "Nơi cấp",
    "Ngày cấp",
    "Địa chỉ thư điện tử công vụ",
    "Tổ chức cấp 1",
    "Tổ chức cấp 2",
    "Tổ chức cấp 3",
    "Tổ chức cấp 4",
    "Tỉnh thành phố",
    "Tỉnh/Thành phố",
    "Chức vụ",
    "Điện thoại",
    "Serial CTS cũ",
    "Nhà mạng",
    "Là chuyển số (X)",
    "Loại thiết bị",
]
NFD_NAME = unicodedata.normalize("NFD", "Nguyễn Thị Hằng")
AGENCY = "Sở Tài chính tỉnh Lai Châu"


def workbook_file(rows, *, title_lines=(), name="danh-sach.xlsx"):
    book = Workbook()
    sheet = book.active
    for line in title_lines:
        sheet.append([line])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(name, out.getvalue(), content_type=excel.XLSX_CONTENT_TYPE)


def mau01_file():
    """Excel lines: 1-2 titles, 3 header, 4 "(1)…(11)", 5.. people."""
    return workbook_file(
        [
            MAU01_HEADER,
            [f"({i})" for i in range(1, 12)],
            # 5: good: decomposed name, real date, phone stored as a number.
            [
                1,
                NFD_NAME,
                datetime(1990, 3, 5),
                "012190001234 / 01/07/2021, CCSQLHCVTTXH",
                "hang@laichau.gov.vn",
                AGENCY,
                "Lai Châu",
                "Chuyên viên",
                912345678,
                None,
                None,
            ],
            # 6: good: multi-line ID cell, text date, SIM keeping the current number.
            [
                2,
                "Lò Văn Pó",
                "05/03/1985",
                "012190005678\n02/08/2020\nCục Cảnh sát QLHC về TTXH",
                "po@laichau.gov.vn",
                AGENCY,
                "Lai Châu",
                "Phó Trưởng phòng",
                "0987 654 321",
                "54AB",
                "Viettel /cs",
            ],
            # 7: an ID of 11 digits.
            [
                3,
                "Lường Thị Ún",
                "12/12/1992",
                "01219000123 / 01/07/2021, CCSQLHCVTTXH",
                "un@laichau.gov.vn",
                AGENCY,
                "Lai Châu",
                "Chuyên viên",
                "0912000333",
                None,
                None,
            ],
            # 8: a Gmail address.
            [
                4,
                "Tòng Văn Xôm",
                "01/01/1980",
                "012180001111 / 01/07/2021, CCSQLHCVTTXH",
                "xom@gmail.com",
                AGENCY,
                "Lai Châu",
                "Kế toán",
                "0912000444",
                None,
                None,
            ],
            # 9: the same person as line 5.
            [
                5,
                "Nguyễn Thị Hằng",
                "05/03/1990",
                "012190001234 / 01/07/2021, CCSQLHCVTTXH",
                "hang2@laichau.gov.vn",
                AGENCY,
                "Lai Châu",
                "Chuyên viên",
                "0912000555",
                None,
                None,
            ],
            [None] * 11,  # blank lines are skipped
        ],
        title_lines=["DANH SÁCH ĐỀ NGHỊ CẤP CHỨNG THƯ CHỮ KÝ SỐ", ""],
    )


def ca_line(stt, name, cccd, **overrides):
    values = dict(
        dob=date(1991, 4, 2),
        place="CCSQLHCVTTXH",
        issued="01/07/2021",
        email=f"nguoi{stt}@laichau.gov.vn",
        levels=("UBND tỉnh Lai Châu", "Sở Tài chính", "Phòng Ngân sách", None),
        province="Lai Châu",
        position="Chuyên viên",
        phone=912000100 + stt,
        old="",
        carrier="",
        moved="",
        kind="",
    )
    values.update(overrides)
    return [
        stt,
        name,
        values["dob"],
        cccd,
        values["place"],
        values["issued"],
        values["email"],
        *values["levels"],
        values["province"],
        values["province"],
        values["position"],
        values["phone"],
        values["old"],
        values["carrier"],
        values["moved"],
        values["kind"],
    ]


def ca_file():
    """Excel lines: 1 header, 2.. people."""
    return workbook_file(
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


def upload(client, cert_request, file):
    return client.post(reverse("requests_app:import", args=[cert_request.pk]), {"file": file})


def confirm(client, cert_request, token):
    return client.post(
        reverse("requests_app:import_confirm", args=[cert_request.pk]), {"token": token}
    )


def report(response) -> dict[int, list[tuple[str, str]]]:
    found: dict[int, list[tuple[str, str]]] = {}
    for line, column, message in response.context["problems"]:
        found.setdefault(line, []).append((column, message))
    return found


# --- the Mẫu 01 list -----------------------------------------------------------------------
def test_mau01_list_preview_reports_each_bad_line_and_saves_nothing(client, cast):
    cert_request = draft(cast)
    client.force_login(cast.clerk_a)
    response = upload(client, cert_request, mau01_file())
    assert response.status_code == 200
    assert response.context["sheet"].layout == excel.LAYOUT_MAU01
    problems = report(response)
    assert set(problems) == {7, 8, 9}, problems
    id_column = "Số định danh cá nhân / ngày cấp, nơi cấp"
    assert problems[7] == [(id_column, "Số định danh cá nhân phải gồm đúng 12 chữ số.")]
    assert problems[8][0][0] == "Địa chỉ thư điện tử công vụ"
    assert "gmail.com" in problems[8][0][1]
    assert problems[9] == [(id_column, "Trùng số định danh với dòng 5 của tệp.")]
    assert response.context["good_count"] == 2
    assert not cert_request.rows.exists(), "nothing is saved before the clerk confirms"
    html = response.content.decode()
    assert "Xác nhận thêm 2 dòng hợp lệ" in html and "gmail.com" in html


def test_confirming_saves_exactly_the_good_rows_normalised(client, cast):
    cert_request = draft(cast)
    client.force_login(cast.clerk_a)
    preview = upload(client, cert_request, mau01_file())
    response = confirm(client, cert_request, preview.context["token"])
    assert response.url == reverse("requests_app:edit", args=[cert_request.pk])
    first, second = cert_request.rows.order_by("position")
    assert first.full_name == unicodedata.normalize("NFC", NFD_NAME)
    assert first.full_name != NFD_NAME
    assert first.date_of_birth == date(1990, 3, 5)
    assert first.national_id == "012190001234"
    assert first.id_issue_date == date(2021, 7, 1)
    assert first.id_issue_place == "CCSQLHCVTTXH"
    assert first.mobile == "0912345678", "the leading 0 Excel dropped is back"
    assert first.sim_carrier == "" and not first.sim_keep_number
    assert second.date_of_birth == date(1985, 3, 5), "text dates are dd/mm/yyyy"
    assert second.national_id == "012190005678"
    assert second.id_issue_date == date(2020, 8, 2)
    assert second.id_issue_place == "Cục Cảnh sát QLHC về TTXH"
    assert second.mobile == "0987654321"
    assert second.sim_carrier == SimCarrier.VIETTEL and second.sim_keep_number
    assert second.old_serial == "54AB"
    assert IMPORT_SESSION_KEY not in client.session
    again = confirm(client, cert_request, preview.context["token"])
    assert again.url == reverse("requests_app:import", args=[cert_request.pk])
    assert cert_request.rows.count() == 2, "a second confirmation adds nothing"


def test_rows_already_in_the_letter_are_duplicates(client, cast):
    cert_request = draft(cast)
    add_row(cert_request, cast.clerk_a, national_id="012190005678", email="khac@laichau.gov.vn")
    client.force_login(cast.clerk_a)
    response = upload(client, cert_request, mau01_file())
    assert (
        "Số định danh cá nhân / ngày cấp, nơi cấp",
        "Trùng số định danh với dòng 1 đã có trong văn bản.",
    ) in report(response)[6]


def test_a_change_after_the_preview_shows_the_report_again_and_saves_nothing(client, cast):
    cert_request = draft(cast)
    client.force_login(cast.clerk_a)
    preview = upload(client, cert_request, mau01_file())
    # Meanwhile someone adds one of the file's people by hand.
    add_row(cert_request, cast.clerk_a, national_id="012190005678", email="khac@laichau.gov.vn")
    response = confirm(client, cert_request, preview.context["token"])
    assert response.status_code == 200
    assert set(report(response)) == {6}
    assert cert_request.rows.count() == 1, "all or nothing"
    assert response.context["good_count"] == 1
    final = confirm(client, cert_request, response.context["token"])
    assert final.status_code == 302
    assert cert_request.rows.count() == 2


def test_a_row_refused_while_saving_rolls_the_whole_import_back(cast):
    cert_request = draft(cast)
    sheet = excel.from_payload(
        {
            "layout": excel.LAYOUT_MAU01,
            "rows": [
                {"line": 5, "data": _good_data("012190001234", "a@laichau.gov.vn")},
                {"line": 6, "data": _good_data("0121900056", "b@laichau.gov.vn")},
            ],
        }
    )
    with pytest.raises(excel.RowsInvalid):
        excel.save_rows(
            cert_request=cert_request, by=cast.clerk_a, layout=sheet.layout, rows=sheet.rows
        )
    assert not cert_request.rows.exists()
    assert sheet.rows[1].problems[0][0] == "Số định danh cá nhân / ngày cấp, nơi cấp"


def _good_data(national_id, email):
    return {
        "full_name": "Lò Thị Mai",
        "date_of_birth": "1990-03-05",
        "national_id": national_id,
        "id_issue_date": "2021-07-01",
        "id_issue_place": "CCSQLHCVTTXH",
        "email": email,
        "work_agency": AGENCY,
        "province_name": "Lai Châu",
        "position_title": "Chuyên viên",
        "mobile": "0912345678",
        "old_serial": "",
        "sim_carrier": "",
        "sim_keep_number": False,
    }


# --- the CA's 19-column sheet --------------------------------------------------------------
def test_ca_sheet_is_read_and_checked(client, cast):
    cert_request = draft(cast)
    client.force_login(cast.clerk_a)
    response = upload(client, cert_request, ca_file())
    assert response.context["sheet"].layout == excel.LAYOUT_CA
    problems = report(response)
    assert set(problems) == {4, 5, 6, 7}, problems
    assert problems[4][0][0] == "Loại thiết bị" and "SOFT" in problems[4][0][1]
    assert problems[5] == [("Nơi cấp", "Nơi cấp phải là CCSQLHCVTTXH hoặc CCSĐKQLCTVDLQGVDC.")]
    assert problems[6][0][0] == "Nhà mạng"
    assert problems[7][0][0] == "Địa chỉ thư điện tử công vụ" and "yahoo.com" in problems[7][0][1]
    assert not cert_request.rows.exists()

    confirm(client, cert_request, response.context["token"])
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
    cert_request = draft(cast)
    client.force_login(cast.clerk_a)
    file = workbook_file(
        [
            CA_HEADER,
            ca_line(1, "Lò Văn Một", "012190000001", kind="SIM"),  # 2: SIM without carrier
            ca_line(2, "Lò Văn Hai", "012190000002", kind="USB"),  # 3: unknown kind
            ca_line(3, "Lò Văn Ba", "012190000003", kind="SIM", carrier="Viettel", moved="có"),
            ca_line(4, "Lò Văn Bốn", "012190000004", kind="SIM", carrier="Beeline"),  # 5
        ]
    )
    problems = report(upload(client, cert_request, file))
    assert problems[2] == [("Nhà mạng", "Loại thiết bị SIM cần ghi nhà mạng.")]
    assert problems[3][0][0] == "Loại thiết bị" and "USB" in problems[3][0][1]
    assert problems[4] == [("Là chuyển số (X)", "Chỉ ghi X hoặc để trống.")]
    assert problems[5][0][0] == "Nhà mạng", "the carrier choices of the model refuse it"


def test_the_same_email_twice_in_a_file_is_a_duplicate(client, cast):
    cert_request = draft(cast)
    client.force_login(cast.clerk_a)
    file = workbook_file(
        [
            CA_HEADER,
            ca_line(1, "Lò Văn Một", "012190000001", email="chung@laichau.gov.vn"),
            ca_line(2, "Lò Văn Hai", "012190000002", email="Chung@LaiChau.gov.vn"),
        ]
    )
    problems = report(upload(client, cert_request, file))
    assert problems == {
        3: [("Địa chỉ thư điện tử công vụ", "Trùng thư điện tử với dòng 2 của tệp.")]
    }


def test_reading_stops_after_a_long_run_of_empty_lines(client, cast):
    cert_request = draft(cast)
    client.force_login(cast.clerk_a)
    blank = [[None, " "] + [None] * 17 for _ in range(excel.MAX_BLANK_RUN)]
    file = workbook_file(
        [CA_HEADER, ca_line(1, "Lò Văn Một", "012190000001"), *blank, ca_line(2, "X", "1")]
    )
    response = upload(client, cert_request, file)
    assert len(response.context["sheet"].rows) == 1
    assert response.context["problems"] == []


# --- files refused as a whole --------------------------------------------------------------
def test_it_refuses_a_file_that_is_not_xlsx(client, cast):
    cert_request = draft(cast)
    client.force_login(cast.clerk_a)
    csv = SimpleUploadedFile("danh-sach.csv", b"STT;Ho ten\n1;A\n", content_type="text/csv")
    response = upload(client, cert_request, csv)
    assert ".xlsx" in response.context["form"].errors["file"][0]
    fake = SimpleUploadedFile("danh-sach.xlsx", b"not a zip at all", content_type="text/plain")
    response = upload(client, cert_request, fake)
    assert "không phải là tệp Excel" in response.context["form"].errors["file"][0]


def test_it_refuses_a_file_over_5_mb(client, cast, monkeypatch):
    cert_request = draft(cast)
    client.force_login(cast.clerk_a)
    big = SimpleUploadedFile("lon.xlsx", b"PK" + b"0" * (excel.MAX_BYTES + 1))
    response = upload(client, cert_request, big)
    assert "Tệp quá lớn" in response.context["form"].errors["file"][0]


def test_it_refuses_more_than_2000_rows(client, cast):
    cert_request = draft(cast)
    client.force_login(cast.clerk_a)
    lines = [[i, f"Người {i}", "01/01/1990"] + [""] * 8 for i in range(1, excel.MAX_ROWS + 2)]
    response = upload(client, cert_request, workbook_file([MAU01_HEADER, *lines]))
    assert "2000" in response.context["form"].errors["file"][0]
    assert not cert_request.rows.exists()


def test_it_refuses_an_unknown_layout_and_names_the_wrong_column(client, cast):
    cert_request = draft(cast)
    client.force_login(cast.clerk_a)
    response = upload(client, cert_request, workbook_file([["Họ tên", "Ngày sinh"], ["A", "B"]]))
    assert "STT" in response.context["form"].errors["file"][0]
    swapped = MAU01_HEADER.copy()
    swapped[2], swapped[3] = swapped[3], swapped[2]
    response = upload(client, cert_request, workbook_file([swapped, [1, "A"]]))
    assert "Cột thứ 3 phải là “Ngày sinh”" in response.context["form"].errors["file"][0]


def test_import_is_only_for_mau_01(client, cast):
    cert_request = draft(cast, form=FormKind.REVOKE)
    client.force_login(cast.clerk_a)
    assert client.get(reverse("requests_app:import", args=[cert_request.pk])).status_code == 404


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("anonymous", LOGIN),
        ("head_a", 403),
        ("clerk_b", 404),
        ("officer_2", 404),
        ("ca_operator", 404),
        ("subscriber_user", 404),
    ],
)
def test_only_the_clerk_may_upload_or_confirm(client, cast, persona, expected):
    cert_request = draft(cast)
    clerk = client.__class__()
    clerk.force_login(cast.clerk_a)
    token = upload(clerk, cert_request, mau01_file()).context["token"]
    other = login(client, cast, persona)
    assert answer(upload(other, cert_request, mau01_file())) == expected
    assert answer(confirm(other, cert_request, token)) == expected
    assert not cert_request.rows.exists()


# --- cell readers ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cell, expected",
    [
        ("012190001234 / 01/07/2021, CCSQLHCVTTXH", ("012190001234", date(2021, 7, 1))),
        ("012190001234\n01/07/2021\nCCSQLHCVTTXH", ("012190001234", date(2021, 7, 1))),
        (
            "012190001234; ngày cấp 1-7-2021; nơi cấp: CCSQLHCVTTXH",
            ("012190001234", date(2021, 7, 1)),
        ),
        ("012190001234, 01.07.2021, CCSQLHCVTTXH", ("012190001234", date(2021, 7, 1))),
    ],
)
def test_the_combined_id_cell_is_split(cell, expected):
    national_id, issued, place = excel.split_id_cell(cell)
    assert (national_id, issued) == expected
    assert place == "CCSQLHCVTTXH"


def test_an_id_cell_with_only_the_number():
    assert excel.split_id_cell(12190001234) == ("012190001234", None, "")
    assert excel.split_id_cell("012190001234") == ("012190001234", None, "")


@pytest.mark.parametrize(
    "cell, expected",
    [
        (912345678, "0912345678"),
        (912345678.0, "0912345678"),
        ("0912 345 678", "0912345678"),
        ("+84912345678", "0912345678"),
        ("84912345678", "0912345678"),
        ("0912.345.678", "0912345678"),
        (None, ""),
    ],
)
def test_phone_numbers_get_their_leading_zero_back(cell, expected):
    assert excel.read_phone(cell) == expected


@pytest.mark.parametrize(
    "cell, expected",
    [
        (datetime(1990, 3, 5, 0, 0), date(1990, 3, 5)),
        ("05/03/1990", date(1990, 3, 5)),
        ("5/3/1990", date(1990, 3, 5)),
        ("1990-03-05", date(1990, 3, 5)),
        (32937, date(1990, 3, 5)),  # an Excel day number in a cell not formatted as a date
    ],
)
def test_dates_are_read_day_first(cell, expected):
    assert excel.read_date(cell) == expected


def test_an_impossible_date_is_reported():
    with pytest.raises(excel.CellError):
        excel.read_date("31/02/1990")


# --- export ---------------------------------------------------------------------------------
def test_export_writes_the_ca_sheet_with_ids_and_phones_as_text(client, cast):
    cert_request = draft(cast)
    add_row(
        cert_request,
        cast.clerk_a,
        work_agency="Phòng Ngân sách, Sở Tài chính",
        sim_carrier=SimCarrier.MOBIFONE,
        sim_keep_number=True,
    )
    client.force_login(cast.head_a)  # whoever may see the letter may download it
    response = client.get(reverse("requests_app:export", args=[cert_request.pk]))
    assert response["Content-Type"] == excel.XLSX_CONTENT_TYPE
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, line = list(sheet.iter_rows(values_only=True))
    assert list(header) == [title for title, _ in excel.CA_HEADERS]
    assert line[1] == "Lò Thị Mai"
    assert line[2] == "05/03/1990"
    assert line[3] == "012190001234"
    assert line[7:11] == ("Sở Tài chính", "Phòng Ngân sách", None, None)
    assert line[14] == "0912345678"
    assert line[16:19] == ("Mobifone", "X", "SIM")


def test_an_exported_sheet_imports_back_unchanged(client, cast):
    source = draft(cast)
    add_row(source, cast.clerk_a, work_agency="Phòng Ngân sách, Sở Tài chính")
    client.force_login(cast.clerk_a)
    exported = client.get(reverse("requests_app:export", args=[source.pk])).content
    target = services.cert_request_create(
        agency=cast.agency_a, form=FormKind.ISSUE_PERSON, by=cast.clerk_a, **CONTACT
    )
    file = SimpleUploadedFile("xuat.xlsx", exported, content_type=excel.XLSX_CONTENT_TYPE)
    preview = upload(client, target, file)
    assert preview.context["problems"] == []
    confirm(client, target, preview.context["token"])
    fields = [f for f in excel.FIELD_COLUMN[excel.LAYOUT_CA]]
    assert list(target.rows.values(*fields)) == list(source.rows.values(*fields))
