"""Tables for portal.lib.docx: an HTML table of the document templates as a Word table.

The grid is laid out as a browser does (a `rowspan`/`colspan` cell occupies the slots below and
to its right, the next cell takes the next free slot), then written into a python-docx table of
that size whose spanned cells are merged. `table.doc-table` is ruled, its `thead` rows repeat on
every page and no row splits across pages; the other tables (header, signature block) have no
borders. Column widths come from the `wN` classes (see portal.lib.docx_styles)."""

from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm
from docx.table import _Cell

from portal.lib.docx_styles import STYLES, WIDTH, classes

MAX_SPAN = 64  # Word's own limit on the columns of a table
DOC_TABLE_SIZE = 11.0
DOC_TABLE_WIDE_SIZE = 10.0
# Fixed column shares of the two borderless layout tables (static/css/pdf.css).
LAYOUTWIDTHS = {"doc-head": ([40, 60], [45, 55]), "doc-sign": ([50, 50], [50, 50])}


def _tag(element) -> str:
    return element.tag if isinstance(element.tag, str) else ""


def _rows(table) -> list[tuple[object, bool]]:
    """(tr, is a header row) in document order."""
    rows = []
    for child in table:
        tag = _tag(child)
        if tag == "tr":
            rows.append((child, False))
        elif tag in ("thead", "tbody", "tfoot"):
            rows.extend((tr, tag == "thead") for tr in child if _tag(tr) == "tr")
    return rows


def _span(cell, name: str, limit: int) -> int:
    try:
        value = int(cell.get(name, "1"))
    except ValueError:
        value = 1
    return max(1, min(value, limit))


def _layout(rows) -> tuple[list[tuple[int, int, int, int, object]], int]:
    """The cells as (row, column, rowspan, colspan, element) and the number of columns."""
    placements, occupied = [], set()
    for r, (tr, _header) in enumerate(rows):
        c = 0
        for cell in tr:
            if _tag(cell) not in ("td", "th"):
                continue
            while (r, c) in occupied:
                c += 1
            rowspan = _span(cell, "rowspan", len(rows) - r)
            colspan = _span(cell, "colspan", MAX_SPAN)
            if c + colspan > MAX_SPAN:
                break
            occupied.update((r + i, c + j) for i in range(rowspan) for j in range(colspan))
            placements.append((r, c, rowspan, colspan, cell))
            c += colspan
    columns = max((c for _r, c in occupied), default=0) + 1
    return placements, columns


def _percent(element) -> float | None:
    for name in classes(element):
        match = WIDTH.match(name)
        if match:
            return float(match.group(1))
    return None


def _widths(table, placements, columns: int, wide: bool) -> list[float]:
    """Each column's share of the table width, summing to 100."""
    kind = next((k for k in classes(table) if k in LAYOUTWIDTHS), None)
    if kind is not None and columns == 2:
        return list(LAYOUTWIDTHS[kind][1 if wide else 0])
    shares: list[float | None] = [None] * columns
    cols = [c for group in table if _tag(group) == "colgroup" for c in group if _tag(c) == "col"]
    for index, col in enumerate(cols[:columns]):
        shares[index] = _percent(col)
    for _r, c, _rs, colspan, cell in placements:
        if colspan == 1 and shares[c] is None:
            shares[c] = _percent(cell)
    known = sum(s for s in shares if s is not None)
    missing = shares.count(None)
    fill = max((100 - known) / missing, 3.0) if missing else 0
    filled = [s if s is not None else fill for s in shares]
    total = sum(filled) or 1
    return [100 * s / total for s in filled]


def _set(parent, tag: str, **attributes) -> None:
    element = OxmlElement(tag)
    for key, value in attributes.items():
        element.set(qn(f"w:{key}"), value)
    parent.append(element)


def _cell_margins(table, points: float) -> None:
    margins = OxmlElement("w:tblCellMar")
    twips = str(int(points * 20))
    for side in ("left", "right"):
        _set(margins, f"w:{side}", w=twips, type="dxa")
    table._tbl.tblPr.insert_element_before(
        margins, "w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange"
    )


def _cell_style(base: dict, cell, tr, ruled: bool) -> dict:
    style = {**base, "in_table": True, "align": base.get("align", "left")}
    if _tag(cell) == "th" and ruled:
        style.update(bold=True, align="center")
    if "col-numbers" in classes(tr):
        style.update(bold=False, italic=True)
    for name in classes(cell):
        style.update(STYLES.get(name, {}))
    return style


def write_table(writer, element, target, style: dict, width_mm: float) -> None:
    rows = _rows(element)
    placements, columns = _layout(rows)
    if not placements:
        return
    ruled = "doc-table" in classes(element)
    if isinstance(target, _Cell):
        table = target.add_table(len(rows), columns)
    else:
        table = target.add_table(len(rows), columns, Mm(width_mm))
    table.autofit = False
    if ruled:
        table.style = writer.document.styles["Table Grid"]
        _cell_margins(table, 3)
        size = DOC_TABLE_WIDE_SIZE if writer.wide else DOC_TABLE_SIZE
        style = {**style, "size": size}
    else:
        _cell_margins(table, 0)
        if "doc-head" in classes(element):
            style = {**style, "align": "center"}
    shares = _widths(element, placements, columns, writer.wide)
    widths = [width_mm * share / 100 for share in shares]
    for index, column in enumerate(table.columns):
        column.width = Mm(widths[index])
    # python-docx finds a cell by walking the whole table: fine for the few merged header cells,
    # quadratic for a 500-row letter, so the rows' elements are taken once and indexed.
    trs = table._tbl.tr_lst
    for index, (_tr, header) in enumerate(rows):
        tr_pr = trs[index].get_or_add_trPr()
        if ruled:
            _set(tr_pr, "w:cantSplit")
            if header:
                _set(tr_pr, "w:tblHeader")
    for r, c, rowspan, colspan, _element in placements:
        if rowspan > 1 or colspan > 1:
            table.cell(r, c).merge(table.cell(r + rowspan - 1, c + colspan - 1))
    for r, c, _rowspan, colspan, cell_element in placements:
        cell = _Cell(trs[r].tc_at_grid_offset(c), table)
        cell_width = sum(widths[c : c + colspan])
        cell.width = Mm(cell_width)
        cell.vertical_alignment = (
            WD_CELL_VERTICAL_ALIGNMENT.CENTER
            if ruled and _tag(cell_element) == "th"
            else WD_CELL_VERTICAL_ALIGNMENT.TOP
        )
        cell._docx_fresh = True
        tr = rows[r][0]
        writer.blocks(
            cell_element, cell, _cell_style(style, cell_element, tr, ruled), cell_width - 2
        )
