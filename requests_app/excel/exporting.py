"""The letters' export: Mẫu 01 as the CA's 19-column sheet, other forms in their own columns."""

import io
from datetime import date

from requests_app.choices import FormKind
from requests_app.columns import FORM_COLUMNS
from requests_app.excel.layouts import CA_HEADERS
from requests_app.models import RequestRow


# --- export --------------------------------------------------------------------------------
def _levels(work_agency: str) -> list[str]:
    parts = [p.strip() for p in work_agency.split(", ") if p.strip()]
    if len(parts) > 4:
        return [work_agency, "", "", ""]
    parts = list(reversed(parts))
    return parts + [""] * (4 - len(parts))


def _date_text(value) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


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
        headers = ["STT"] + [
            str(RequestRow._meta.get_field(name).verbose_name).capitalize() for name in columns
        ]
        body = [[row.position] + [_plain(row, name) for name in columns] for row in rows]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for line in body:
        sheet.append(line)
    # Keep IDs, phones and dates as text: Excel would drop leading zeros or reformat dates.
    for column in sheet.iter_cols(min_row=2):
        for cell in column:
            if isinstance(cell.value, str):
                cell.number_format = "@"
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
        _date_text(row.date_of_birth),
        row.national_id,
        row.id_issue_place,
        _date_text(row.id_issue_date),
        row.email,
        *levels,
        row.province_name,
        row.province_name,
        row.position_title,
        row.mobile,
        row.old_serial,
        row.get_sim_carrier_display() if row.sim_carrier else "",
        "X" if row.sim_keep_number else "",
        "SIM" if row.sim_carrier else "TOKEN",
    ]


def _plain(row, name: str):
    if name == "certificate":
        return row.certificate.serial if row.certificate_id else ""
    if name == "device":
        return row.device.serial if row.device_id else ""
    value = getattr(row, name)
    if isinstance(value, bool):
        return "X" if value else ""
    if isinstance(value, date):
        return _date_text(value)
    display = getattr(row, f"get_{name}_display", None)
    if display and value:
        return str(display())
    return value
