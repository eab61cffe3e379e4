"""A letter as a Word file, or as a PDF preview (docs/documents.md §8): the same template as its PDF, written by
portal.lib.docx, at every status. A draft has no number and an open date line: it is what an
agency that still drafts in Word edits. The DOCX is never the official document (the signed PDF
is), so it is built when asked for and not stored."""

from django.utils import timezone

from agencies.documents import place_name
from portal.lib.docx import render_docx
from portal.lib.filenames import safe_file_name
from portal.lib.pdf import render_pdf
from requests_app.documents import TEMPLATES, letter_document
from requests_app.services.documents import issuer_of

# The date line of a letter not issued yet, for the agency to fill in.
DRAFT_DATE_LINE = "{place}, ngày …… tháng …… năm {year}"


def letter_working_copy(cert_request) -> dict:
    """The context of the letter as it reads now, at any status: a letter not issued yet has
    no number, an open date line and nobody's name under the signature."""
    issued = bool(cert_request.number) and cert_request.issued_on is not None
    context = letter_document(
        cert_request,
        number=cert_request.number if issued else "",
        issued_on=cert_request.issued_on if issued else None,
        signer=issuer_of(cert_request) if issued else None,
    )
    if not issued:
        context["header"]["date_line"] = DRAFT_DATE_LINE.format(
            place=place_name(cert_request.agency), year=timezone.localdate().year
        )
    return context


def letter_docx(cert_request) -> bytes:
    return render_docx(TEMPLATES[cert_request.form], letter_working_copy(cert_request))


def letter_pdf_preview(cert_request) -> bytes:
    """The letter as a PDF before anyone signs it (docs/domain.md §9, "Previews"): the same
    template and helper as the official PDF, every page marked as an unsigned preview. Never
    stored, never sent: what counts is the PDF rendered when the head issues the letter."""
    context = letter_working_copy(cert_request)
    if not context["header"]["number"]:
        context["header"]["number"] = "……"
    return render_pdf(TEMPLATES[cert_request.form], {**context, "preview": True})


def letter_pdf_preview_name(cert_request) -> str:
    """ "Mau02_du_thao_42_xem_truoc.pdf"."""
    stem = cert_request.number or f"du_thao_{cert_request.pk}"
    return safe_file_name(f"Mau{cert_request.form}_{stem}_xem_truoc")


def letter_docx_name(cert_request) -> str:
    """ "Mau02_15-STC-CDS.docx"; a draft: "Mau02_du_thao_42.docx"."""
    stem = cert_request.number or f"du_thao_{cert_request.pk}"
    return safe_file_name(f"Mau{cert_request.form}_{stem}", extension=".docx")
