"""PDF files as the provincial e-office takes them (docs/domain.md §9): a size cap, a safe
name, and a reader that turns any parse failure of a hostile upload into a clear refusal."""

from __future__ import annotations

import re
import unicodedata
from io import BytesIO

from django.conf import settings
from django.utils.translation import gettext as _
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.model import VENDOR
from pyhanko.pdf_utils.reader import PdfFileReader

from certificates.exceptions import CertificateError

MAX_FILENAME_LENGTH = 50  # e-office rule, docs/domain.md §9


def max_pdf_bytes() -> int:
    return settings.SIGNING_MAX_PDF_MB * 1024 * 1024


def check_pdf_size(pdf: bytes) -> None:
    """Refuse an empty file, a file over SIGNING_MAX_PDF_MB and anything that is not a PDF."""
    if len(pdf) > max_pdf_bytes():
        raise CertificateError(
            _("Tệp PDF vượt quá %(mb)s MB.") % {"mb": settings.SIGNING_MAX_PDF_MB},
            code="pdf_too_large",
        )
    if pdf.lstrip()[:5] != b"%PDF-":
        raise CertificateError(_("Tệp tải lên không phải là tệp PDF."), code="bad_pdf")


def open_pdf(pdf: bytes) -> PdfFileReader:
    """A pyHanko reader over `pdf` (size checked first); a broken file is a `CertificateError`."""
    check_pdf_size(pdf)
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        reader.root  # noqa: B018 - parse the trailer and catalogue now, not later
    except Exception as exc:  # hostile input: any parser failure is "unreadable", never a 500
        raise CertificateError(
            _("Không đọc được tệp PDF: tệp bị hỏng hoặc không đúng định dạng."), code="bad_pdf"
        ) from exc
    if reader.encrypted:
        raise CertificateError(_("Tệp PDF bị mã hóa: không kiểm tra được."), code="bad_pdf")
    return reader


def safe_pdf_filename(text: str) -> str:
    """A file name the e-office accepts: ASCII without diacritics ("Đ" → "D"), letters, digits,
    "-" and "_" only, at most 50 characters including ".pdf"."""
    text = (text or "").replace("Đ", "D").replace("đ", "d")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9]+", "_", ascii_text).strip("_") or "van_ban"
    if stem.lower().endswith("_pdf"):
        stem = stem[:-4] or "van_ban"
    stem = stem[: MAX_FILENAME_LENGTH - len(".pdf")].rstrip("_")
    return f"{stem}.pdf"


def keep_pdfa_metadata(writer: IncrementalPdfFileWriter) -> None:
    """The document information's /Producer set to what pyHanko will write in the XMP packet,
    for a document that has one: pyHanko rewrites the packet with itself as producer on every
    update but adds itself after the renderer's name in the information dictionary, and
    PDF/A wants both to say the same (docs/ca.md, "PDF/A")."""
    if "/Metadata" not in writer.root:
        return
    try:
        info_ref = writer.trailer.raw_get("/Info")
    except KeyError:
        return
    if not isinstance(info_ref, generic.IndirectObject):
        return
    info = info_ref.get_object()
    if info.get("/Producer") != VENDOR:
        info["/Producer"] = generic.TextStringObject(VENDOR)
        writer.mark_update(info_ref)
