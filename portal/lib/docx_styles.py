"""What the document templates' classes mean in Word, from static/css/pdf.css: shared by the
paragraphs (portal.lib.docx) and the tables (portal.lib.docx_tables)."""

import re

FONT = "Times New Roman"
BODY_SIZE = 13.0
WIDTH = re.compile(r"^w(\d{1,3})$")  # a column's share of the width: `wN`, N %

# What each class means, from static/css/pdf.css. Keys: size (pt), bold, italic, caps,
# align (left/center/justify), indent (first line, mm), left (left indent, % of the width),
# before/after (pt). A paragraph's style is its ancestors' styles, then its own.
STYLES = {
    "indent": {"indent": 10},
    "field": {"indent": 10, "align": "left", "after": 3},
    "courtesy": {"indent": 10, "before": 6},
    "section": {"before": 4},
    "to": {"align": "center", "before": 8, "after": 10},
    "to-list": {"left": 30, "before": 8, "after": 10},
    "doc-title": {"align": "center", "bold": True, "size": 14, "caps": True, "before": 12},
    "doc-subtitle": {"align": "center", "bold": True, "after": 12},
    "org-super": {"size": 12.5, "caps": True},
    "org-name": {"size": 12.5, "bold": True, "caps": True},
    "number": {"size": 13},
    "subject": {"size": 12, "before": 2},
    "motto-1": {"size": 12.5, "bold": True, "caps": True},
    "motto-2": {"size": 13.5, "bold": True},
    "date-line": {"size": 13.5, "italic": True, "before": 4},
    "recipients": {"size": 11, "align": "left"},
    "heading": {"size": 12, "bold": True, "italic": True},
    "sign": {"align": "center"},
    "title": {"bold": True, "caps": True},
    "authority": {"bold": True, "caps": True},
    "hint": {"italic": True, "size": 12},
    "name": {"bold": True, "before": 62},
    "c": {"align": "center"},
    "serial": {"size": 9.5},
    "row-label": {"align": "left", "bold": True},
}


def classes(element) -> list[str]:
    return (element.get("class") or "").split()


def style_of(element, inherited: dict) -> dict:
    """The element's style: its ancestors' (`inherited`), then its classes', then its tag's."""
    style = dict(inherited)
    for name in classes(element):
        style.update(STYLES.get(name, {}))
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in ("b", "strong", "th"):
        style["bold"] = True
    if tag in ("i", "em"):
        style["italic"] = True
    return style
