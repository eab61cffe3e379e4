"""The letters' export: Mẫu 01 as the CA's 19-column sheet, other forms in their own columns;
ID numbers, birth and ID issue dates and phones masked unless the export was asked with full
values (`privacy.disclosure`, `requests_app.disclosure`)."""

from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from portal.lib.xlsx import export_row, new_export, save
from privacy.disclosure import MASKED, Disclosure
from requests_app.cells import columns as form_columns
from requests_app.cells import export_value
from requests_app.choices import FormKind
from requests_app.columns import table_columns
from requests_app.disclosure import row_cell
from requests_app.excel.layouts import CA_HEADERS


def _levels(work_agency: str) -> list[str]:
    parts = [p.strip() for p in work_agency.split(", ") if p.strip()]
    if len(parts) > 4:
        return [work_agency, "", "", ""]
    parts = list(reversed(parts))
    return parts + [""] * (4 - len(parts))


def export_workbook(cert_request, rows, *, disclosure: Disclosure = MASKED) -> bytes:
    """Mẫu 01: the CA's 19-column sheet; other forms: their own columns, in form order. The
    masked fields are masked unless `disclosure` shows them in full: a masked cell holds "*",
    which the import refuses (`requests_app.excel.readers`), so it is never read back as a
    value.

    Every cell goes through the one export helper (`portal.lib.xlsx.export_row`): no text
    becomes a formula, and every text cell (IDs, phones, dates, serials) is written as text.
    """
    workbook, sheet = new_export(f"Mau {cert_request.form}")
    if cert_request.form == FormKind.ISSUE_PERSON:
        headers = [title for title, _fragments in CA_HEADERS]
        body = [ca_cells(index, row, disclosure) for index, row in enumerate(rows, start=1)]
    else:
        columns = table_columns(cert_request.form)
        headers = ["STT"] + [label.capitalize() for _name, label in form_columns(cert_request)]
        body = [
            [row.position] + [row_cell(row, name, disclosure) for name in columns] for row in rows
        ]
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, min(40, len(header) + 4))
    sheet.freeze_panes = "A2"
    header_cells = export_row(sheet, headers, font=Font(bold=True))
    for cell in header_cells:
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    sheet.append(header_cells)
    for line in body:
        # Keep IDs, phones and dates as text: Excel would drop leading zeros or reformat dates.
        text_columns = {i for i, value in enumerate(line) if isinstance(value, str)}
        sheet.append(export_row(sheet, line, text_columns=text_columns))
    return save(workbook)


def ca_cells(index: int, row, disclosure: Disclosure = MASKED) -> list:
    """One line of the CA's 19-column sheet (the Excel export, the API's `bang-ca`)."""
    levels = _levels(row.work_agency)
    return [
        index,
        row.full_name,
        row_cell(row, "date_of_birth", disclosure),
        row_cell(row, "national_id", disclosure),
        row.id_issue_place,
        row_cell(row, "id_issue_date", disclosure),
        row.email,
        *levels,
        row.province_name,
        row.province_name,
        row.position_title,
        row_cell(row, "mobile", disclosure),
        row.old_serial,
        export_value(row, "sim_carrier"),
        export_value(row, "sim_keep_number"),
        ca_device_type(row),
    ]


def ca_device_type(row) -> str:
    """The sheet's "Loại thiết bị": RSSP for a remote-signing letter's row
    (docs/remote-signing.md), SIM for a row asking for a SIM PKI, else TOKEN."""
    if row.cert_request.remote_signing:
        return "RSSP"
    return "SIM" if row.sim_carrier else "TOKEN"
