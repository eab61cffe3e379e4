"""The Mẫu 07, 08 and 09 documents as PDFs: every field and diacritic, the shipped fonts only,
a golden first page each, one stored version per content, downloads scoped like the pages.
Golden images: refresh with
`UPDATE_GOLDEN=1 make test PYTEST_ARGS="tests/devices/test_document_pdfs.py -k golden"`."""

import os
import subprocess
import tempfile
import unicodedata
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import Image, ImageChops, ImageStat

from devices.models import DeviceDocument
from devices.services import (
    device_document_pdf,
    return_minutes_confirm,
)
from tests.devices.document_builders import BUILDERS, HEADER, SHOWN
from tests.devices.helpers import send
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
GOLDEN_TOLERANCE = 1.5  # mean absolute difference per pixel (0–255) before a layout change


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
    notice = BUILDERS["07"](cast, token)
    first = device_document_pdf(document=notice, by=cast.clerk_a)
    second = device_document_pdf(document=notice, by=cast.ca_operator)
    assert first.pk == second.pk
    assert DeviceDocument.objects.filter(notice=notice).count() == 1


def test_a_confirmed_mau_08_gets_a_new_version_and_keeps_the_first(cast, token):
    minutes = BUILDERS["08"](cast, token)
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
    notice = BUILDERS["07"](cast, token)
    sign_in(client, cast.clerk_a)
    page = client.get(reverse("devices:notice_detail", args=[notice.pk])).content.decode()
    assert reverse("devices:notice_pdf", args=[notice.pk]) in page
