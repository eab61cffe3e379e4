"""A letter's PDF (Mẫu 01–06): rendered in the worker when the head issues it, in the NĐ 30
layout with every field, the shipped fonts only, one stored version per issuance, downloads
scoped like the letter. Golden first pages: refresh with
`UPDATE_GOLDEN=1 make test PYTEST_ARGS="tests/requests_app/test_documents.py -k golden"`."""

import os
import subprocess
import tempfile
import time
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from PIL import Image, ImageChops, ImageStat

from portal.documents import DocumentKind
from requests_app import services
from requests_app.choices import FormKind, Status
from requests_app.models import CertRequest, LetterDocument
from requests_app.tasks import letter_document_render_missing_task, letter_document_render_task
from requests_app.word import letter_pdf_preview
from tests import factories as f
from tests.helpers import sign_in
from tests.requests_app.document_letters import ALL_FORMS, CONTACT, HEADER, issued_letter
from tests.requests_app.letters import issue_signed, letter_at

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
# Mean absolute difference per pixel channel (0–255) a first page may drift from its golden
# image (font hinting, anti-aliasing) before the test calls it a change of layout.
GOLDEN_TOLERANCE = 1.5


def _run(args, pdf: bytes, *extra) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(pdf)
        return subprocess.run([*args, str(path), *extra], capture_output=True, check=True)


def pdf_text(pdf: bytes) -> str:
    return _run(["pdftotext", "-layout"], pdf, "-").stdout.decode()


def shows(pdf: bytes, text: str, value: str) -> bool:
    """Whether the PDF shows `value`: on one line of the layout text, or, for a value wrapped
    inside a narrow table cell, in the reading-order text with line breaks as spaces."""
    if value in text:
        return True
    flowing = " ".join(_run(["pdftotext"], pdf, "-").stdout.decode().split())
    return value in flowing


def pdf_font_names(pdf: bytes) -> set[tuple[str, str]]:
    lines = _run(["pdffonts"], pdf).stdout.decode().splitlines()[2:]
    return {(line.split()[0].split("+", 1)[-1], line.split()[-5]) for line in lines}


def first_page_png(pdf: bytes) -> Image.Image:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(pdf)
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                "50",
                "-png",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(path),
                str(Path(folder) / "page"),
            ],
            check=True,
        )
        return Image.open(Path(folder) / "page.png").convert("L").copy()


@pytest.mark.parametrize("form", ALL_FORMS)
def test_each_letter_renders_with_every_field_and_diacritic_in_nfc(cast, form):
    letter, shown = issued_letter(cast, form)
    document = LetterDocument.objects.get(pk=letter_document_render_task(letter.pk))
    text = pdf_text(bytes(document.content))
    assert unicodedata.is_normalized("NFC", text)
    expected = [*HEADER, f"Số: {letter.number}", "Nguyễn Thị Thu Hà", "0912100101", *shown]
    if form in (FormKind.RENEW_CHANGE, FormKind.RECOVER_DEVICE):
        expected.append("Kính gửi: Sở Khoa học và Công nghệ Tỉnh Lai Châu.")
    else:
        expected += [
            "ha@laichau.gov.vn",
            "Phường Đông Phong, tỉnh Lai Châu",
            "Cục Chứng thực số và Bảo mật thông tin, Ban Cơ yếu Chính phủ",
        ]
    missing = [value for value in expected if not shows(bytes(document.content), text, value)]
    assert missing == []
    assert (document.number, document.issued_on) == (letter.number, date(2026, 2, 5))


@pytest.mark.parametrize("form", ALL_FORMS)
def test_each_letter_embeds_only_the_shipped_liberation_serif(cast, form):
    letter, _ = issued_letter(cast, form)
    document = LetterDocument.objects.get(pk=letter_document_render_task(letter.pk))
    fonts = pdf_font_names(bytes(document.content))
    assert fonts
    assert {name.split("-Bold")[0].split("-Italic")[0] for name, _ in fonts} == {
        "Liberation-Serif-Portal"
    }
    assert {emb for _, emb in fonts} == {"yes"}


@pytest.mark.parametrize("form", ALL_FORMS)
def test_each_letter_first_page_matches_its_golden_image(cast, form):
    letter, _ = issued_letter(cast, form)
    document = LetterDocument.objects.get(pk=letter_document_render_task(letter.pk))
    page = first_page_png(bytes(document.content))
    golden = GOLDEN / f"mau_{form}.png"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        page.save(golden)
    expected = Image.open(golden).convert("L")
    assert page.size == expected.size
    difference = ImageStat.Stat(ImageChops.difference(page, expected)).mean[0]
    assert difference <= GOLDEN_TOLERANCE


def test_wide_forms_print_landscape_and_the_others_portrait(cast):
    sizes = {}
    for form in (FormKind.ISSUE_PERSON, FormKind.ISSUE_ORGANIZATION, FormKind.REVOKE):
        letter, _ = issued_letter(cast, form)
        document = LetterDocument.objects.get(pk=letter_document_render_task(letter.pk))
        sizes[form] = first_page_png(bytes(document.content)).size
    assert sizes[FormKind.ISSUE_PERSON][0] > sizes[FormKind.ISSUE_PERSON][1]
    assert sizes[FormKind.REVOKE][0] > sizes[FormKind.REVOKE][1]
    assert sizes[FormKind.ISSUE_ORGANIZATION][0] < sizes[FormKind.ISSUE_ORGANIZATION][1]


def test_a_long_table_repeats_its_header_and_numbers_pages_from_the_second(cast):
    letter = services.cert_request_create(
        agency=cast.agency_a, form=FormKind.ISSUE_ORGANIZATION, by=cast.clerk_a, **CONTACT
    )
    for n in range(1, 41):
        services.row_save(
            cert_request=letter,
            by=cast.clerk_a,
            data={
                "organization_name": f"Trung tâm số {n}",
                "address": "Phường Tân Phong",
                "tax_code": f"62001{n:05d}",
                "budget_code": f"{1200000 + n}",
                "province_name": "Lai Châu",
                "email": f"tt{n}@laichau.gov.vn",
            },
        )
    services.cert_request_submit(cert_request=letter, by=cast.clerk_a)
    services.cert_request_issue(cert_request=letter, by=cast.head_a)
    document = LetterDocument.objects.get(pk=letter_document_render_task(letter.pk))
    pages = pdf_text(bytes(document.content)).split("\f")
    pages = [page for page in pages if page.strip()]
    assert len(pages) >= 2
    assert "STT" in pages[1] and "(7)" in pages[1]
    assert "40 (bằng chữ: bốn mươi)" in pages[0]
    first_line = pages[1].strip().splitlines()[0].strip()
    assert first_line == "2"
    assert not pages[0].strip().splitlines()[0].strip().isdigit()


def test_the_task_run_twice_stores_one_version(cast):
    letter, _ = issued_letter(cast, FormKind.ISSUE_ORGANIZATION)
    first = letter_document_render_task(letter.pk)
    second = letter_document_render_task(letter.pk)
    assert first == second
    assert LetterDocument.objects.filter(letter=letter).count() == 1


def test_the_database_refuses_a_second_version_for_the_same_issuance(cast):
    letter, _ = issued_letter(cast, FormKind.ISSUE_ORGANIZATION)
    stored = LetterDocument.objects.get(pk=letter_document_render_task(letter.pk))
    twin = LetterDocument(
        letter=letter, version=2, number=stored.number, issued_on=stored.issued_on
    )
    twin.set_content(b"%PDF-1.7 twin")
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_a_letter_returned_and_issued_again_keeps_its_first_version(cast):
    letter = letter_at(cast, Status.PROVINCE_REVIEW, FormKind.ISSUE_ORGANIZATION)
    first = LetterDocument.objects.get(letter=letter, kind=DocumentKind.RENDERED)
    services.cert_request_return(cert_request=letter, by=cast.officer_1, note="Sửa địa chỉ")
    services.cert_request_submit(cert_request=letter, by=cast.clerk_a)
    issue_signed(cast, letter)
    second = LetterDocument.objects.get(
        letter=letter, kind=DocumentKind.RENDERED, number=letter.number
    )
    # rendered and signed versions of the first issuance, then those of the second
    assert (first.version, second.version) == (1, 3)
    assert second.number == letter.number != first.number
    first.refresh_from_db()
    assert first.sha256 == LetterDocument.objects.get(pk=first.pk).sha256
    assert f"Số: {first.number}" in pdf_text(bytes(first.content))


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_issuing_a_letter_has_the_worker_store_its_pdf(cast, redis_worker):
    letter, _ = issued_letter(cast, FormKind.ISSUE_ORGANIZATION, frozen=False)
    deadline = time.monotonic() + 120
    while not LetterDocument.objects.filter(letter=letter).exists():
        assert time.monotonic() < deadline, "the worker stored no document in 120 s"
        time.sleep(0.25)
    document = LetterDocument.objects.get(letter=letter)
    assert (document.version, document.number) == (1, letter.number)
    assert bytes(document.content).startswith(b"%PDF-")


def test_the_sweep_finds_issued_letters_without_a_document_and_only_those(cast):
    rendered, _ = issued_letter(cast, FormKind.ISSUE_ORGANIZATION)
    letter_document_render_task(rendered.pk)
    missing, _ = issued_letter(cast, FormKind.ISSUE_DEVICE)
    draft = services.cert_request_create(
        agency=cast.agency_a, form=FormKind.ISSUE_ORGANIZATION, by=cast.clerk_a, **CONTACT
    )
    found = set(services.documents.letters_missing_document().values_list("pk", flat=True))
    assert missing.pk in found
    assert rendered.pk not in found
    assert draft.pk not in found
    assert letter_document_render_missing_task() == 1, (
        "only the issued letter without a document is queued"
    )


def test_a_draft_letter_gets_no_document(cast):
    letter = services.cert_request_create(
        agency=cast.agency_a, form=FormKind.ISSUE_ORGANIZATION, by=cast.clerk_a, **CONTACT
    )
    assert letter_document_render_task(letter.pk) is None
    assert not LetterDocument.objects.exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("clerk_a", 200),
        ("head_a", 200),
        ("officer_1", 200),
        ("clerk_b", 404),
        ("clerk_c", 404),
        ("officer_2", 404),
        ("subscriber_user", 404),
    ],
)
def test_a_letter_document_downloads_only_within_the_letters_scope(cast, client, persona, status):
    letter, _ = issued_letter(cast, FormKind.ISSUE_ORGANIZATION)
    document = LetterDocument.objects.get(pk=letter_document_render_task(letter.pk))
    sign_in(client, getattr(cast, persona))
    response = client.get(reverse("requests_app:document", args=[letter.pk, document.version]))
    assert response.status_code == status
    if status == 200:
        assert response.content == bytes(document.content)
        assert response["Content-Type"] == "application/pdf"


def test_the_download_name_has_no_diacritics_and_at_most_50_characters(cast, client):
    letter, _ = issued_letter(cast, FormKind.ISSUE_ORGANIZATION)
    document = LetterDocument.objects.get(pk=letter_document_render_task(letter.pk))
    sign_in(client, cast.clerk_a)
    response = client.get(reverse("requests_app:document", args=[letter.pk, 1]))
    name = response["Content-Disposition"].split('filename="')[1].rstrip('"')
    assert name == document.download_name
    assert name.isascii() and len(name) <= 50 and name.endswith("_v1.pdf")
    assert "/" not in name


def test_the_letter_page_lists_the_versions_with_their_download_links(cast, client):
    letter, _ = issued_letter(cast, FormKind.ISSUE_ORGANIZATION)
    letter_document_render_task(letter.pk)
    sign_in(client, cast.officer_1)
    page = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()
    assert reverse("requests_app:document", args=[letter.pk, 1]) in page
    assert 'data-document-version="1"' in page
    assert "Sắp có" not in page


def test_a_province_without_its_office_in_the_tree_keeps_its_proper_name():
    from requests_app.documents import provincial_office_name

    agency = f.AgencyFactory(parent=f.ProvinceFactory(name="Tỉnh Lai Châu"))
    assert provincial_office_name(agency) == "Sở Khoa học và Công nghệ tỉnh Lai Châu"


# --- the unsigned preview (docs/domain.md §9) ----------------------------------------------
@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("clerk_a", 200),
        ("head_a", 200),
        ("clerk_b", 404),
        ("officer_2", 404),
        ("subscriber_user", 404),
    ],
)
def test_the_clerk_previews_a_draft_as_a_pdf_marked_unsigned_within_the_letters_scope(
    cast, client, persona, status
):
    letter = services.cert_request_create(
        agency=cast.agency_a, form=FormKind.ISSUE_ORGANIZATION, by=cast.clerk_a, **CONTACT
    )
    sign_in(client, getattr(cast, persona))
    response = client.get(reverse("requests_app:pdf_preview", args=[letter.pk]))
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("inline;")
        text = pdf_text(response.content)
        assert "BẢN XEM TRƯỚC – CHƯA KÝ SỐ" in text
        assert "Nguyễn Thị Thu Hà" in text and "SỞ TÀI CHÍNH" in text
        assert not LetterDocument.objects.exists()  # a preview is never stored


def test_the_letter_page_offers_the_pdf_preview_before_the_head_signs(cast, client):
    letter = services.cert_request_create(
        agency=cast.agency_a, form=FormKind.ISSUE_ORGANIZATION, by=cast.clerk_a, **CONTACT
    )
    sign_in(client, cast.clerk_a)
    page = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()
    assert reverse("requests_app:pdf_preview", args=[letter.pk]) in page


def test_the_clerk_writes_the_recipients_and_the_letter_prints_them(cast):
    letter = services.cert_request_create(
        agency=cast.agency_a,
        form=FormKind.ISSUE_ORGANIZATION,
        by=cast.clerk_a,
        **CONTACT,
        recipients="- Như trên;\n- Giám đốc Sở (để báo cáo);\n\n- Lưu: VT, VP.",
    )
    text = pdf_text(letter_pdf_preview(letter))
    assert "- Giám đốc Sở (để báo cáo);" in text and "- Lưu: VT, VP." in text
    assert "(để theo dõi)" not in text
    default = services.cert_request_create(
        agency=cast.agency_a, form=FormKind.ISSUE_ORGANIZATION, by=cast.clerk_a, **CONTACT
    )
    assert "Sở Khoa học và Công nghệ Tỉnh Lai Châu (để theo" in pdf_text(
        letter_pdf_preview(default)
    )


def test_a_long_agency_name_breaks_between_words_into_balanced_lines(cast):
    agency = f.AgencyFactory(parent=cast.province_1, name="Sở Khoa học và Công nghệ tỉnh Lai Châu")
    letter = CertRequest.objects.create(
        agency=agency, form=FormKind.ISSUE_ORGANIZATION, created_by=cast.clerk_a, **CONTACT
    )
    lines = [line.strip() for line in pdf_text(letter_pdf_preview(letter)).splitlines()]
    left = [line.split("  ")[0] for line in lines]
    assert "SỞ KHOA HỌC" in left and "VÀ CÔNG NGHỆ" in left
    assert "NGHỆ" not in left and not any(line.endswith("VÀ CÔNG") for line in left)


def test_header_names_keep_vietnamese_words_and_places_whole():
    from agencies.documents import header_lines

    assert header_lines("SỞ KHOA HỌC VÀ CÔNG NGHỆ") == ["SỞ KHOA HỌC", "VÀ CÔNG NGHỆ"]
    assert header_lines("SỞ KHOA HỌC VÀ CÔNG NGHỆ TỈNH ĐIỆN BIÊN")[-1] == "TỈNH ĐIỆN BIÊN"
    assert header_lines("SỞ TÀI CHÍNH") == ["SỞ TÀI CHÍNH"]
    assert header_lines("SỞ KHOA HỌC VÀ CÔNG NGHỆ", wide=True) == ["SỞ KHOA HỌC VÀ CÔNG NGHỆ"]


def test_an_email_never_breaks_and_shrinks_to_fit_its_cell():
    from portal.lib.textfit import email_size_class, text_width_mm

    short, long = "ha@laichau.gov.vn", "nguyenthithuhuong.vanphong@sotaichinh.laichau.gov.vn"
    assert email_size_class(short, 36, 10) == ""
    size_class = email_size_class(long, 36, 10)
    assert size_class in ("fs9", "fs8", "fs7", "fs6")
    if size_class != "fs6":
        assert text_width_mm(long, float(size_class[2:])) <= 36 - 4
