"""The letters' export: Mẫu 01 as the CA's 19-column sheet, other forms in their own columns."""

import io

from portal.lib.xlsx import export_row
from requests_app.cells import columns as form_columns
from requests_app.cells import export_value
from requests_app.choices import FormKind
from requests_app.columns import FORM_COLUMNS
from requests_app.excel.layouts import CA_HEADERS


def _levels(work_agency: str) -> list[str]:
    parts = [p.strip() for p in work_agency.split(", ") if p.strip()]
    if len(parts) > 4:
        return [work_agency, "", "", ""]
    parts = list(reversed(parts))
    return parts + [""] * (4 - len(parts))


def export_workbook(cert_request, rows) -> bytes:
    """Mẫu 01: the CA's 19-column sheet; other forms: their own columns, in form order."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"Mau {cert_request.form}"
    if cert_request.form == FormKind.ISSUE_PERSON:
        headers = [title for title, _fragments in CA_HEADERS]
        body = [_ca_line(index, row) for index, row in enumerate(rows, start=1)]
    else:
        columns = FORM_COLUMNS[cert_request.form]
        headers = ["STT"] + [label.capitalize() for _name, label in form_columns(cert_request.form)]
        body = [[row.position] + [export_value(row, name) for name in columns] for row in rows]
    sheet.append(export_row(sheet, headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    # Text cells: IDs, phones and dates keep their form, and no value becomes a formula.
    for line in body:
        sheet.append(export_row(sheet, line))
    for index, header in enumerate(headers, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(10, min(40, len(header) + 4))
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _ca_line(index: int, row) -> list:
    levels = _levels(row.work_agency)
    return [
        index,
        row.full_name,
        export_value(row, "date_of_birth"),
        row.national_id,
        row.id_issue_place,
        export_value(row, "id_issue_date"),
        row.email,
        *levels,
        row.province_name,
        row.province_name,
        row.position_title,
        row.mobile,
        row.old_serial,
        export_value(row, "sim_carrier"),
        export_value(row, "sim_keep_number"),
        "SIM" if row.sim_carrier else "TOKEN",
    ]
