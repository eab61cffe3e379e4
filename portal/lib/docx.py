"""The one Word helper: the same HTML templates as the PDFs (portal.lib.pdf), written as a DOCX by
python-docx, for agencies that must still edit a letter in Word (docs/documents.md §8). The
DOCX is never the official document: the signed PDF is.

`render_docx(template, context)` renders the template with Django, parses it with lxml.html and
walks the body. It maps only what the document templates use (templates/portal/pdf/,
templates/requests_app/pdf/, templates/devices/pdf/), with the values of static/css/pdf.css:

- the page: A4, portrait, or landscape when `<body class="wide">` (the PDF's wide forms); the
  Nghị định 30 margins (top and bottom 20 mm, left 30 mm, right 15 mm); the page number at the
  top centre from page 2 on (a PAGE field, different first page);
- Times New Roman 13 pt, text NFC, characters XML cannot hold (control characters, lone
  surrogates) removed, so hostile input never corrupts the file;
- blocks: `p`, `div` and `span.rule` (a short centred rule: a paragraph's bottom border between
  indents); `article` is transparent; `script`, `style` and the head are dropped;
- inline: `b`/`strong` bold, `i`/`em` italic, `br` a line break, other inline tags their text;
- tables: `table.doc-head` and `table.doc-sign` borderless, `table.doc-table` ruled with its
  `thead` rows repeated on each page (`w:tblHeader`) and no row split across pages; `rowspan`
  and `colspan` as merged cells; column widths from the `wN` classes (N % of the width) of the
  `col`s or header cells;
- the classes in `portal.lib.docx_styles.STYLES` (size, bold, italic, capitals, alignment, indents, spacing).
Anything else is written as plain text in the enclosing paragraph.
"""

import re
import unicodedata
from io import BytesIO

import docx
import lxml.html
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from portal.lib import docx_tables
from portal.lib.docx_styles import BODY_SIZE, FONT, classes, style_of
from portal.lib.filenames import safe_file_name

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# Characters XML 1.0 cannot hold, and C1 controls, which Word shows as boxes.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SPACE = re.compile(r"[ \t\n\r\f]+")  # HTML white space (not the no-break space)

# Page geometry in millimetres: (width, height), margins (top, right, bottom, left).
A4 = (210, 297)
MARGINS = (20, 15, 20, 30)

# Short rules under the agency's name and under the motto: their width, % of the column.
RULES = {"rule-short": 30, "rule-motto": 56}
_AFTER_PBDR = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
    "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
    "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
    "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
    "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip
BLOCK_TAGS = {"p", "div", "article", "section", "header", "footer", "table", "ul", "ol", "li"}
DROPPED_TAGS = {"script", "style", "head", "title", "link", "meta", "template", "colgroup"}


def clean_text(text: str) -> str:
    """NFC, without the characters a Word file cannot hold."""
    return _NOT_XML.sub("", unicodedata.normalize("NFC", text))


class _Writer:
    """Walks the parsed body into a python-docx document."""

    def __init__(self, document, width_mm: float, wide: bool):
        self.document = document
        self.width_mm = width_mm
        self.wide = wide

    # --- paragraphs --------------------------------------------------------------------------
    def paragraph(self, target, style: dict, width_mm: float):
        reuse = getattr(target, "_docx_fresh", False)
        if reuse:
            paragraph = target.paragraphs[0]
            target._docx_fresh = False
        else:
            paragraph = target.add_paragraph()
        fmt = paragraph.paragraph_format
        align = style.get("align", "justify")
        fmt.alignment = {
            "left": WD_ALIGN_PARAGRAPH.LEFT,
            "center": WD_ALIGN_PARAGRAPH.CENTER,
            "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
        }[align]
        if style.get("indent"):
            fmt.first_line_indent = Mm(style["indent"])
        if style.get("left"):
            fmt.left_indent = Mm(width_mm * style["left"] / 100)
        fmt.space_before = Pt(style.get("before", 0))
        fmt.space_after = Pt(style.get("after", 0 if style.get("in_table") else 6))
        paragraph._docx_text = False
        return paragraph

    def run(self, paragraph, text: str, style: dict):
        text = _SPACE.sub(" ", clean_text(text))
        if not paragraph._docx_text:
            text = text.lstrip(" ")
        if not text:
            return
        run = paragraph.add_run(text)
        paragraph._docx_text = True
        if style.get("bold"):
            run.bold = True
        if style.get("italic"):
            run.italic = True
        if style.get("caps"):
            run.font.all_caps = True
        size = style.get("size")
        if size and size != BODY_SIZE:
            run.font.size = Pt(size)

    def line_break(self, paragraph):
        paragraph.add_run().add_break(WD_BREAK.LINE)
        paragraph._docx_text = False  # the next line's leading space collapses

    def rule(self, target, percent: int, width_mm: float):
        """A short centred horizontal rule: an empty paragraph's bottom border between indents."""
        paragraph = self.paragraph(target, {"align": "center", "in_table": True}, width_mm)
        side = width_mm * (100 - percent) / 200
        fmt = paragraph.paragraph_format
        fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER
        fmt.left_indent = Mm(side)
        fmt.right_indent = Mm(side)
        fmt.space_after = Pt(6)
        fmt.line_spacing = Pt(2)
        borders = OxmlElement("w:pBdr")
        bottom = OxmlElement("w:bottom")
        for key, value in (("w:val", "single"), ("w:sz", "5"), ("w:space", "1")):
            bottom.set(qn(key), value)
        bottom.set(qn("w:color"), "000000")
        borders.append(bottom)
        # The schema orders a paragraph's properties: the border comes before spacing and the rest.
        paragraph._p.get_or_add_pPr().insert_element_before(borders, *_AFTER_PBDR)

    # --- the walk ----------------------------------------------------------------------------
    def blocks(self, element, target, style: dict, width_mm: float):
        """The children of a block element, as paragraphs and tables of `target`."""
        current = None

        def inline_target():
            nonlocal current
            if current is None:
                current = self.paragraph(target, style, width_mm)
            return current

        if element.text and element.text.strip():
            self.run(inline_target(), element.text, style)
        for child in element:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag and tag not in DROPPED_TAGS:
                child_style = style_of(child, style)
                rule = next((RULES[c] for c in classes(child) if c in RULES), None)
                if rule is not None:
                    current = None
                    self.rule(target, rule, width_mm)
                elif tag == "table":
                    current = None
                    self.table(child, target, child_style, width_mm)
                elif tag in BLOCK_TAGS:
                    current = None
                    if tag in ("p", "li") or not any(
                        isinstance(c.tag, str) and c.tag in BLOCK_TAGS for c in child
                    ):
                        paragraph = self.paragraph(target, child_style, width_mm)
                        self.inline(child, paragraph, child_style)
                    else:
                        self.blocks(child, target, child_style, width_mm)
                elif tag == "br":
                    self.line_break(inline_target())
                else:
                    self.inline(child, inline_target(), child_style)
            if child.tail and (child.tail.strip() or current is not None):
                self.run(inline_target(), child.tail, style)

    def inline(self, element, paragraph, style: dict):
        if element.text:
            self.run(paragraph, element.text, style)
        for child in element:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag == "br":
                self.line_break(paragraph)
            elif tag and tag not in DROPPED_TAGS:
                self.inline(child, paragraph, style_of(child, style))
            if child.tail:
                self.run(paragraph, child.tail, style)

    # --- tables ------------------------------------------------------------------------------
    def table(self, element, target, style: dict, width_mm: float):
        docx_tables.write_table(self, element, target, style, width_mm)


def _page_number_header(section) -> None:
    """A PAGE field centred at the top of every page but the first."""
    section.different_first_page_header_footer = True
    # An explicit, empty first-page header: no number on page 1 in every word processor.
    section.first_page_header.is_linked_to_previous = False
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for kind, text in (("begin", None), ("instr", " PAGE "), ("separate", None), ("t", "2")):
        run = paragraph.add_run()
        if kind == "instr":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        elif kind == "t":
            run.text = text
        else:
            field = OxmlElement("w:fldChar")
            field.set(qn("w:fldCharType"), kind)
            run._r.append(field)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    paragraph.add_run()._r.append(end)


def _setup(document, wide: bool) -> float:
    """Page, margins, default font; returns the text width in millimetres."""
    section = document.sections[0]
    width, height = (A4[1], A4[0]) if wide else A4
    section.orientation = WD_ORIENT.LANDSCAPE if wide else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(width), Mm(height)
    top, right, bottom, left = MARGINS
    section.top_margin, section.right_margin = Mm(top), Mm(right)
    section.bottom_margin, section.left_margin = Mm(bottom), Mm(left)
    section.header_distance = Mm(10)
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_SIZE)
    fonts = normal.element.rPr.rFonts
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), FONT)
    normal.paragraph_format.line_spacing = 1.1
    _page_number_header(section)
    return width - left - right


def _drop_thumbnail(document) -> None:
    """python-docx's template carries a thumbnail of its own sample page: not ours to show."""
    package = document.part.package
    for key, relationship in list(package.rels.items()):
        if relationship.reltype.endswith("/thumbnail"):
            del package.rels[key]


def render_docx(template_name: str, context: dict) -> bytes:
    """The DOCX of a document template (the same template `render_pdf` renders)."""
    html = clean_text(render_to_string(template_name, {**context, "pdf_static": ""}))
    root = lxml.html.document_fromstring(html or "<p></p>")
    body = root.find("body")
    if body is None:
        body = root
    wide = "wide" in classes(body)
    document = docx.Document()
    title = context.get("document_title")
    if title:
        document.core_properties.title = clean_text(str(title))[:255]
    properties = document.core_properties
    properties.author = properties.last_modified_by = properties.comments = ""
    properties.created = properties.modified = timezone.now().replace(microsecond=0)
    properties.revision = 1
    _drop_thumbnail(document)
    width_mm = _setup(document, wide)
    body_container = document._body
    _Writer(document, width_mm, wide).blocks(body, body_container, style_of(body, {}), width_mm)
    output = BytesIO()
    document.save(output)
    return output.getvalue()


def docx_response(content: bytes, file_name: str):
    """A DOCX as an attachment under its safe name (at most 50 characters, no diacritics),
    kept out of shared caches. The caller has fetched the document through `visible_to`."""
    response = HttpResponse(content, content_type=DOCX_CONTENT_TYPE)
    name = safe_file_name(file_name.removesuffix(".docx"), extension=".docx")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
