"""The Mẫu 07, 08 and 09 documents as PDFs: every field and diacritic, the shipped fonts only,
a golden first page each, one stored version per content, downloads scoped like the pages.
Golden images: refresh with
`UPDATE_GOLDEN=1 make test PYTEST_ARGS="tests/devices/test_document_pdfs.py -k golden"`."""

import os
import subprocess
import tempfile
import unicodedata
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from PIL import Image, ImageChops, ImageStat

from devices.choices import ReceiverKind, ReturnReason
from devices.models import CustodyRecord, DeviceDocument
from devices.services import (
    device_document_pdf,
    device_return_obligation_open,
    handover_notice_create,
    loss_report_create,
    return_minutes_confirm,
    return_minutes_create,
)
from tests import factories as f
from tests.devices.helpers import send
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
GOLDEN_TOLERANCE = 1.5  # mean absolute difference per pixel (0–255) before a layout change
DAY = datetime(2026, 3, 9, 14, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
HEADER = [
    "UBND TỈNH LAI CHÂU",
    "SỞ TÀI CHÍNH",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Lai Châu, ngày 09 tháng 3 năm 2026",
]


@pytest.fixture
def token(cast):
    """A USB token of agency A held by Phạm Thị Hường, at the agency."""
    holder = f.PersonFactory(organization=cast.agency_a, full_name="Phạm Thị Hường")
    device = f.DeviceFactory(
        agency=cast.agency_a, holder=holder, serial="VT26000777", status="delivered_to_agency"
    )
    CustodyRecord.objects.create(
        device=device,
        status=device.status,
        holder_kind=CustodyRecord.HolderKind.AGENCY,
        agency=cast.agency_a,
        held_from=device.created_at,
    )
    return device


def _notice(cast, token):
    with time_machine.travel(DAY, tick=False):
        return handover_notice_create(
            agency=cast.agency_a,
            devices=[token],
            acknowledged={token.pk},
            handed_on=DAY.date(),
            by=cast.clerk_a,
        )


def _minutes(cast, token):
    notice = _notice(cast, token)
    token.refresh_from_db()
    f.CAOrgFactory()
    device_return_obligation_open(
        device=token,
        reason=ReturnReason.REVOKED,
        notified_on=DAY.date(),
        by=None,
        certificate_serial="54AB0000DEADBEEF",
    )
    token.refresh_from_db()
    with time_machine.travel(DAY, tick=False):
        minutes = return_minutes_create(
            agency=cast.agency_a,
            devices=[token],
            held_at=DAY,
            place="Hội trường Sở Tài chính",
            receiver_kind=ReceiverKind.CA,
            agency_representative="Nguyễn Thị Thu Hà",
            agency_representative_title="Chánh Văn phòng",
            by=cast.clerk_a,
        )
    assert notice is not None
    return minutes


def _loss(cast, token):
    _notice(cast, token)
    token.refresh_from_db()
    with time_machine.travel(DAY, tick=False):
        return loss_report_create(
            device=token,
            lost_on=date(2026, 3, 7),
            lost_place="Bến xe khách Lai Châu",
            circumstances="Để quên trên xe khách tuyến Lai Châu – Điện Biên.",
            held_place="Phòng họp Sở Tài chính",
            measures="Đề nghị thu hồi chứng thư (Mẫu 05).",
            by=cast.clerk_a,
        )


BUILDERS = {"07": _notice, "08": _minutes, "09": _loss}
SHOWN = {
    "07": [
        "Kính gửi: Cục Chứng thực số và Bảo mật thông tin, Ban Cơ yếu Chính phủ.",
        "Phạm Thị Hường",
        "VT26000777",
        "09/03/2026",
        "01 (bằng chữ: một)",
        "Nơi nhận:",
    ],
    "08": [
        "BIÊN BẢN",
        "Hôm nay, vào hồi 14 giờ 30, ngày 09/03/2026, tại Hội trường Sở Tài chính",
        "Bên giao:",
        "Bên nhận:",
        "Nguyễn Thị Thu Hà, chức vụ: Chánh Văn phòng",
        "Phạm Thị Hường",
        "54AB0000DEADBEEF",
        "Thu hồi",
        "ĐẠI DIỆN BÊN GIAO",
        "ĐẠI DIỆN BÊN NHẬN",
    ],
    "09": [
        "BIÊN BẢN",
        "Xác nhận thất lạc thiết bị lưu khóa bí mật",
        "Phòng họp Sở Tài chính",
        "Phạm Thị Hường",
        "07/03/2026",
        "Bến xe khách Lai Châu",
        "Để quên trên xe khách tuyến Lai Châu – Điện Biên.",
        "Đề nghị thu hồi chứng thư (Mẫu 05).",
        "THUÊ BAO",
    ],
}


def _run(args, pdf: bytes, *extra) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(pdf)
        return subprocess.run(
            [*args, str(path), *extra], capture_output=True, check=True
        ).stdout.decode()


def _shows(pdf: bytes, text: str, value: str) -> bool:
    return value in text or value in " ".join(_run(["pdftotext"], pdf, "-").split())


@pytest.mark.parametrize("form", ["07", "08", "09"])
def test_each_device_document_renders_with_every_field_and_diacritic_in_nfc(cast, token, form):
    document = BUILDERS[form](cast, token)
    stored = device_document_pdf(document=document, by=cast.clerk_a)
    pdf = bytes(stored.content)
    text = _run(["pdftotext", "-layout"], pdf, "-")
    assert unicodedata.is_normalized("NFC", text)
    expected = [*HEADER, f"Số: {document.number}", *SHOWN[form]]
    assert [value for value in expected if not _shows(pdf, text, value)] == []


@pytest.mark.parametrize("form", ["07", "08", "09"])
def test_each_device_document_embeds_only_the_shipped_liberation_serif(cast, token, form):
    stored = device_document_pdf(document=BUILDERS[form](cast, token), by=cast.clerk_a)
    lines = _run(["pdffonts"], bytes(stored.content)).splitlines()[2:]
    fonts = {(line.split()[0].split("+", 1)[-1], line.split()[-5]) for line in lines}
    assert fonts
    assert {name.split("-Bold")[0].split("-Italic")[0] for name, _ in fonts} == {
        "Liberation-Serif-Portal"
    }
    assert {emb for _, emb in fonts} == {"yes"}


@pytest.mark.parametrize("form", ["07", "08", "09"])
def test_each_device_document_first_page_matches_its_golden_image(cast, token, form):
    stored = device_document_pdf(document=BUILDERS[form](cast, token), by=cast.clerk_a)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(bytes(stored.content))
        subprocess.run(
            ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", "-singlefile", str(path),
             str(Path(folder) / "page")],
            check=True,
        )  # fmt: skip
        page = Image.open(Path(folder) / "page.png").convert("L").copy()
    golden = GOLDEN / f"mau_{form}.png"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        page.save(golden)
    expected = Image.open(golden).convert("L")
    assert page.size == expected.size
    assert ImageStat.Stat(ImageChops.difference(page, expected)).mean[0] <= GOLDEN_TOLERANCE


def test_the_same_document_asked_twice_stores_one_version(cast, token):
    notice = _notice(cast, token)
    first = device_document_pdf(document=notice, by=cast.clerk_a)
    second = device_document_pdf(document=notice, by=cast.ca_operator)
    assert first.pk == second.pk
    assert DeviceDocument.objects.filter(notice=notice).count() == 1


def test_a_confirmed_mau_08_gets_a_new_version_and_keeps_the_first(cast, token):
    minutes = _minutes(cast, token)
    first = device_document_pdf(document=minutes, by=cast.clerk_a)
    send(cast, minutes)
    return_minutes_confirm(
        minutes=minutes,
        by=cast.ca_operator,
        receiver_representative="Vũ Đức Thắng",
        receiver_representative_title="Chuyên viên",
    )
    minutes.refresh_from_db()
    second = device_document_pdf(document=minutes, by=cast.ca_operator)
    assert (first.version, second.version) == (1, 2)
    assert "Vũ Đức Thắng" in _run(["pdftotext", "-layout"], bytes(second.content), "-")
    assert "Vũ Đức Thắng" not in _run(["pdftotext", "-layout"], bytes(first.content), "-")


def test_the_pdf_template_has_no_inline_style_and_no_script():
    templates = Path(__file__).resolve().parents[2] / "templates"
    sources = [
        *sorted((templates / "devices" / "pdf").glob("*.html")),
        *sorted((templates / "requests_app" / "pdf").glob("*.html")),
        *sorted((templates / "portal" / "pdf").glob("*.html")),
    ]
    pdf_sources = [p for p in sources if p.name not in {"print.html", "_document_styles.html"}]
    assert len(pdf_sources) >= 12
    for source in pdf_sources:
        text = source.read_text()
        assert "style=" not in text, source.name
        assert "<style" not in text, source.name
        assert "<script" not in text, source.name


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("clerk_a", 200),
        ("head_a", 200),
        ("ca_operator", 200),
        ("clerk_b", 404),
        ("clerk_c", 404),
        ("officer_2", 404),
    ],
)
@pytest.mark.parametrize("form", ["07", "09"])
def test_a_device_document_pdf_downloads_only_within_its_scope(
    cast, client, token, persona, status, form
):
    document = BUILDERS[form](cast, token)
    send(cast, document)  # the CA sees it once the agency head signed and sent it
    name = {"07": "devices:notice_pdf", "09": "devices:loss_pdf"}[form]
    sign_in(client, getattr(cast, persona))
    response = client.get(reverse(name, args=[document.pk]))
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")
        file_name = response["Content-Disposition"].split('filename="')[1].rstrip('"')
        assert file_name.isascii() and len(file_name) <= 50
    else:
        assert not DeviceDocument.objects.exists()


def test_the_document_page_offers_the_pdf(cast, client, token):
    notice = _notice(cast, token)
    sign_in(client, cast.clerk_a)
    page = client.get(reverse("devices:notice_detail", args=[notice.pk])).content.decode()
    assert reverse("devices:notice_pdf", args=[notice.pk]) in page
