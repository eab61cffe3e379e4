"""A Mẫu 07, 08 or 09 document as a Word file (docs/documents.md §8): the same template as its
PDF and printable view, written by portal.lib.docx. Never the official version (the signed PDF
is), so built when asked for and not stored."""

from devices.services.documents import PDF_TEMPLATE, spec
from portal.lib.docx import render_docx
from portal.lib.filenames import safe_file_name


def device_document_docx(document) -> tuple[bytes, str]:
    """The DOCX and its download name ("Mau07_12-TB-STC.docx": ≤ 50 characters, ASCII)."""
    form, _field, template, context, _day = spec(document)
    content = render_docx(
        PDF_TEMPLATE,
        {**context, "document_template": template, "document_title": str(document)},
    )
    name = safe_file_name(f"Mau{form}_{document.number or document.pk}", extension=".docx")
    return content, name
