"""Reading a DOCX back in tests: python-docx for the structure, plain zip + lxml for the parts."""

import io
import zipfile

import docx
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from lxml import etree


def open_docx(content: bytes):
    """The document, after checking every XML part of the package parses."""
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        assert package.testzip() is None
        for name in package.namelist():
            if name.endswith((".xml", ".rels")):
                etree.fromstring(package.read(name))
    return docx.Document(io.BytesIO(content))


def paragraphs(document):
    """Every paragraph of the body, table cells included, in document order."""
    return [Paragraph(p, document._body) for p in document.element.body.iter(qn("w:p"))]


def docx_text(document) -> str:
    return "\n".join(p.text for p in paragraphs(document))


def shows(text: str, value: str) -> bool:
    """`value` on one paragraph, or across a cell's line breaks read as spaces."""
    return value in text or value in " ".join(text.split())


def runs_with(document, value: str):
    return [run for p in paragraphs(document) for run in p.runs if value in run.text]


def header_rows(table) -> list[bool]:
    """For each row of the table: whether Word repeats it at the top of each page."""
    return [row._tr.trPr is not None and row._tr.trPr.find(qn("w:tblHeader")) is not None
            for row in table.rows]  # fmt: skip


def field_codes(part_element) -> list[str]:
    return [t.text.strip() for t in part_element.iter(qn("w:instrText"))]
