"""Excel import of a Mẫu 01 list (11 columns), and files refused as a whole.

The workbooks are built here with openpyxl, with what real files contain: title lines above
the header, decomposed diacritics, phone numbers stored as numbers, dates as real dates or as
text, a bad ID, a Gmail address and a duplicate. Nothing is saved before the clerk confirms.
Each upload becomes an import job whose task (the shipped one, called here as the worker would)
reads the file; the job's page shows the preview.
"""

import unicodedata
from datetime import date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from requests_app import excel
from requests_app.choices import FormKind, SimCarrier
from tests.factories import letter_draft, letter_row_add, xlsx_upload
from tests.helpers import LOGIN, answer, excel_confirm, excel_upload, import_report, login, sign_in

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
NFD_NAME = unicodedata.normalize("NFD", "Nguyễn Thị Hằng")
AGENCY = "Sở Tài chính tỉnh Lai Châu"


def mau01_file():
    """Excel lines: 1-2 titles, 3 header, 4 "(1)…(11)", 5.. people."""
    return xlsx_upload(
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


# --- the Mẫu 01 list -----------------------------------------------------------------------
def test_mau01_list_preview_reports_each_bad_line_and_saves_nothing(client, cast):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    response = excel_upload(client, cert_request, mau01_file())
    assert response.status_code == 200
    assert response.context["job"].result["layout"] == excel.LAYOUT_MAU01
    problems = import_report(response)
    assert set(problems) == {7, 8, 9}, problems
    id_column = "Số định danh cá nhân / ngày cấp, nơi cấp"
    assert len(problems[7]) == 1 and problems[7][0][0] == id_column
    assert "“01219000123” không hợp lệ" in problems[7][0][1]
    assert problems[8][0][0] == "Địa chỉ thư điện tử công vụ"
    assert "gmail.com" in problems[8][0][1]
    assert problems[9] == [(id_column, "Trùng số định danh với dòng 5 của tệp.")]
    assert response.context["good_count"] == 2
    assert not cert_request.rows.exists(), "nothing is saved before the clerk confirms"
    html = response.content.decode()
    assert "Xác nhận thêm 2 dòng hợp lệ" in html and "gmail.com" in html


def test_confirming_saves_exactly_the_good_rows_normalised(client, cast):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    preview = excel_upload(client, cert_request, mau01_file())
    job = preview.context["job"]
    response = excel_confirm(client, cert_request, job.pk)
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
    job.refresh_from_db()
    assert job.status == "confirmed" and job.result == {} and bytes(job.content) == b""
    again = excel_confirm(client, cert_request, job.pk)
    assert again.url == reverse("requests_app:import_job", args=[cert_request.pk, job.pk])
    assert cert_request.rows.count() == 2, "a second confirmation adds nothing"


def test_rows_already_in_the_letter_are_duplicates(client, cast):
    cert_request = letter_draft(cast)
    letter_row_add(
        cert_request, cast.clerk_a, national_id="012190005678", email="khac@laichau.gov.vn"
    )
    sign_in(client, cast.clerk_a)
    response = excel_upload(client, cert_request, mau01_file())
    assert (
        "Số định danh cá nhân / ngày cấp, nơi cấp",
        "Trùng số định danh với dòng 1 đã có trong văn bản.",
    ) in import_report(response)[6]


def test_a_change_after_the_preview_shows_the_report_again_and_saves_nothing(client, cast):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    preview = excel_upload(client, cert_request, mau01_file())
    job = preview.context["job"]
    # Meanwhile someone adds one of the file's people by hand.
    letter_row_add(
        cert_request, cast.clerk_a, national_id="012190005678", email="khac@laichau.gov.vn"
    )
    response = excel_confirm(client, cert_request, job.pk)
    assert response.url == reverse("requests_app:import_job", args=[cert_request.pk, job.pk])
    assert cert_request.rows.count() == 1, "all or nothing"
    page = client.get(response.url)
    assert set(import_report(page)) == {6, 7, 8, 9}, "the new problem joins the first ones"
    assert page.context["good_count"] == 1
    final = excel_confirm(client, cert_request, job.pk)
    assert final.status_code == 302
    assert cert_request.rows.count() == 2


def test_a_row_refused_while_saving_rolls_the_whole_import_back(cast):
    cert_request = letter_draft(cast)
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


# --- files refused as a whole --------------------------------------------------------------
def test_it_refuses_a_file_that_is_not_xlsx(client, cast):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    csv = SimpleUploadedFile("danh-sach.csv", b"STT;Ho ten\n1;A\n", content_type="text/csv")
    response = excel_upload(client, cert_request, csv)
    assert ".xlsx" in response.context["form"].errors["file"][0]
    fake = SimpleUploadedFile("danh-sach.xlsx", b"not a zip at all", content_type="text/plain")
    response = excel_upload(client, cert_request, fake)
    assert "không phải là tệp Excel" in response.context["form"].errors["file"][0]


def test_it_refuses_a_file_over_5_mb(client, cast, monkeypatch):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    big = SimpleUploadedFile("lon.xlsx", b"PK" + b"0" * (excel.MAX_BYTES + 1))
    response = excel_upload(client, cert_request, big)
    assert "Tệp quá lớn" in response.context["form"].errors["file"][0]


def test_it_refuses_more_rows_than_the_setting_allows_and_names_the_limit(client, cast, settings):
    settings.PORTAL_IMPORT_MAX_ROWS = 30
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    lines = [[i, f"Người {i}", "01/01/1990"] + [""] * 8 for i in range(1, 32)]
    response = excel_upload(client, cert_request, xlsx_upload([MAU01_HEADER, *lines]))
    job = response.context["job"]
    assert job.status == "failed" and "hơn 30 dòng" in job.error
    assert "hơn 30 dòng" in response.content.decode()
    assert not cert_request.rows.exists()


def test_a_sheet_of_more_than_2000_rows_is_read_by_default(client, cast):
    """The limit was 2,000: a ministry's list is tens of thousands of rows."""
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    lines = [[i, f"Người {i}", "01/01/1990"] + [""] * 8 for i in range(1, 2102)]
    response = excel_upload(client, cert_request, xlsx_upload([MAU01_HEADER, *lines]))
    job = response.context["job"]
    assert job.status == "ready", job.error
    assert job.result["rows_read"] == 2101


def test_it_refuses_an_unknown_layout_and_names_the_wrong_column(client, cast):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    response = excel_upload(
        client, cert_request, xlsx_upload([["Họ tên", "Ngày sinh"], ["A", "B"]])
    )
    assert "STT" in response.context["job"].error
    swapped = MAU01_HEADER.copy()
    swapped[2], swapped[3] = swapped[3], swapped[2]
    response = excel_upload(client, cert_request, xlsx_upload([swapped, [1, "A"]]))
    assert "Cột thứ 3 phải là “Ngày sinh”" in response.context["job"].error
    assert "Cột thứ 3 phải là “Ngày sinh”" in response.content.decode()


def test_import_is_only_for_mau_01(client, cast):
    cert_request = letter_draft(cast, form=FormKind.REVOKE)
    sign_in(client, cast.clerk_a)
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
    cert_request = letter_draft(cast)
    clerk = client.__class__()
    sign_in(clerk, cast.clerk_a)
    job = excel_upload(clerk, cert_request, mau01_file()).context["job"]
    other = login(client, cast, persona)
    assert answer(excel_upload(other, cert_request, mau01_file())) == expected
    assert answer(excel_confirm(other, cert_request, job.pk)) == expected
    assert not cert_request.rows.exists()
