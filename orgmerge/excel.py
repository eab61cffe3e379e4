"""The plan as an Excel sheet, through the house's safe writer (`portal.lib.xlsx`): no text
becomes a formula; serials are text cells."""

from django.utils.translation import gettext as _
from openpyxl.styles import Font

from portal.lib.xlsx import export_row, new_export, save


def plan_workbook(plan, actions) -> bytes:
    workbook, sheet = new_export(_("Phương án %(n)d") % {"n": plan.pk})
    headers = [
        _("STT"),
        _("Cơ quan, tổ chức"),
        _("Việc cần làm"),
        _("Số hiệu chứng thư"),
        _("Tên chứng thư (CN)"),
        _("Cá nhân"),
        _("Thiết bị"),
        _("Hồ sơ chuyển"),
    ]
    sheet.append(export_row(sheet, headers, font=Font(bold=True)))
    for index, action in enumerate(actions, start=1):
        certificate = action.certificate
        line = [
            index,
            action.source.name,
            str(action.get_kind_display()),
            certificate.serial if certificate else "",
            certificate.common_name if certificate else "",
            action.person.full_name if action.person else "",
            action.device.serial if action.device else "",
            str(action.letter) if action.letter else "",
        ]
        sheet.append(export_row(sheet, line, text_columns={3, 6}))
    return save(workbook)
