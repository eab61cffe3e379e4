"""The Mẫu 07, 08 and 09 documents: their administrative layout and content, on the page and
in the printable view (the same template the PDF helper will render)."""

from datetime import date, datetime, time

import pytest
from django.urls import reverse
from django.utils import timezone

from devices.choices import ReceiverKind, ReturnReason
from devices.documents import count_text, date_line, number_in_words, place_name
from devices.services import (
    device_return_obligation_open,
    loss_report_create,
    return_minutes_create,
)
from tests import factories as f
from tests.devices.helpers import send
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "không"),
        (1, "một"),
        (10, "mười"),
        (11, "mười một"),
        (15, "mười lăm"),
        (21, "hai mươi mốt"),
        (24, "hai mươi tư"),
        (25, "hai mươi lăm"),
        (100, "một trăm"),
        (105, "một trăm linh năm"),
        (111, "một trăm mười một"),
    ],
)
def test_counts_are_written_in_vietnamese_words(n, words):
    assert number_in_words(n) == words


def test_a_count_reads_as_administrative_documents_write_it():
    assert count_text(2) == "02 (hai)"


def test_the_date_line_pads_days_under_10_and_the_first_two_months():
    assert date_line("Lai Châu", date(2026, 2, 5)) == "Lai Châu, ngày 05 tháng 02 năm 2026"
    assert date_line("Lai Châu", date(2026, 11, 21)) == "Lai Châu, ngày 21 tháng 11 năm 2026"


def test_the_place_is_the_province_without_its_title(cast):
    assert place_name(cast.agency_a) == "Lai Châu"
    assert place_name(cast.agency_c) == "Đà Nẵng"


def test_the_mau_07_notice_page_and_print(cast, client, handed):
    notice = send(cast, handed.handovers.get().notice)
    sign_in(client, cast.ca_operator)

    page = client.get(reverse("devices:notice_detail", args=[notice.pk])).content.decode()
    printed = client.get(reverse("devices:notice_print", args=[notice.pk]))

    for html in (page, printed.content.decode()):
        assert 'data-document="mau-07"' in html
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in html
        assert "Độc lập - Tự do - Hạnh phúc" in html
        assert f"Số: {notice.number}" in html
        assert "Kính gửi: Cục Chứng thực số và Bảo mật thông tin, Ban Cơ yếu Chính phủ." in html
        assert "UBND TỈNH LAI CHÂU" in html and "SỞ TÀI CHÍNH<" in html
        assert "Số lượng: 01 (bằng chữ: một) thiết bị" in html
        assert handed.serial in html and cast.subscriber.full_name in html
        assert timezone.localdate().strftime("%d/%m/%Y") in html
    assert "css/print.css" in printed.content.decode()  # @page A4, under the CSP
    assert printed["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in printed["Content-Security-Policy"]


def test_the_mau_08_minutes_has_both_parties_and_the_reason(cast, client, handed):
    f.CAOrgFactory()
    device_return_obligation_open(
        device=handed, reason=ReturnReason.EXPIRED, notified_on=timezone.localdate(), by=None,
        certificate_serial="54AB01",
    )  # fmt: skip
    held = timezone.make_aware(datetime(2026, 11, 20, 14, 30))
    minutes = return_minutes_create(
        agency=cast.agency_a, devices=[handed], held_at=held, place="Hội trường Sở Tài chính",
        receiver_kind=ReceiverKind.CA, agency_representative="Nguyễn Thị Thu Hà",
        agency_representative_title="Chánh Văn phòng", by=cast.clerk_a,
    )  # fmt: skip
    sign_in(client, cast.clerk_a)

    html = client.get(reverse("devices:minutes_print", args=[minutes.pk])).content.decode()

    assert "Hôm nay, vào hồi 14 giờ 30, ngày 20/11/2026, tại Hội trường Sở Tài chính" in html
    assert "Bên giao:</b> Sở Tài chính tỉnh Lai Châu" in html
    assert "Nguyễn Thị Thu Hà, chức vụ: Chánh Văn phòng" in html
    assert "Cục Chứng thực số và Bảo mật thông tin (mô phỏng)" in html
    assert "<td>Hết hạn</td>" in html and "54AB01" in html
    assert "lập thành 02 bản" in html


def test_the_mau_09_minutes_says_when_where_and_how(cast, client, handed):
    report = loss_report_create(
        device=handed, lost_on=date(2026, 11, 19), lost_place="Bến xe khách Lai Châu",
        circumstances="Để quên trên xe khách.", by=cast.clerk_a,
    )  # fmt: skip
    send(cast, report)
    sign_in(client, cast.ca_operator)

    html = client.get(reverse("devices:loss_detail", args=[report.pk])).content.decode()

    assert 'data-document="mau-09"' in html
    for text in ("19/11/2026", "Bến xe khách Lai Châu", "Để quên trên xe khách.", handed.serial):
        assert text in html


def test_the_mau_09_minutes_names_the_agency_representative_and_the_time_of_loss(
    cast, client, handed
):
    report = loss_report_create(
        device=handed, lost_on=date(2026, 11, 19), lost_time=time(21, 5),
        lost_place="Bến xe khách Lai Châu", circumstances="Để quên trên xe khách.",
        representative_name="Lò Văn Minh", representative_position="Chánh Văn phòng",
        by=cast.clerk_a,
    )  # fmt: skip
    send(cast, report)
    sign_in(client, cast.ca_operator)

    html = client.get(reverse("devices:loss_detail", args=[report.pk])).content.decode()

    assert "Ông/Bà: Lò Văn Minh, chức vụ: Chánh Văn phòng." in html
    assert "21:05, ngày 19/11/2026" in html
