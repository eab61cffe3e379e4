"""A campaign's Excel: the totals table, then one line per agency asked, with its answer.
Every cell written through the one export helper, so a hostile name never becomes a formula."""

from django.utils import timezone
from django.utils.translation import gettext as _

from demand import figures
from demand.choices import Category
from demand.models import Registration
from demand.targets import with_answers
from portal.lib.xlsx import export_row, new_export, save


def _line(sheet, values) -> None:
    sheet.append(export_row(sheet, values))


def campaign_workbook(campaign, provinces) -> bytes:
    years = campaign.years
    sent = Registration.objects.sent().filter(campaign=campaign)
    if provinces is not None:
        sent = sent.filter(agency__province_id__in=provinces)
    workbook, sheet = new_export("Tong hop")
    _line(sheet, [campaign.title])
    _line(sheet, [_("Nội dung"), *years, _("Tổng")])
    for row in figures.table_rows(figures.totals(sent, years), years):
        _line(sheet, [row["label"], *row["values"], row["total"]])
    _line(sheet, [_("Xuất lúc %(t)s") % {"t": f"{timezone.localtime():%d/%m/%Y %H:%M}"}])
    agencies_sheet = workbook.create_sheet("Co quan")
    per_agency: dict[int, dict[str, int]] = {}
    for item in (
        figures.RegistrationItem.objects.filter(registration__in=sent)
        .values("registration__agency_id", "category", "quantity")
        .iterator()
    ):
        line = per_agency.setdefault(item["registration__agency_id"], {})
        line[item["category"]] = line.get(item["category"], 0) + item["quantity"]
    status = dict(Registration.objects.filter(campaign=campaign).values_list("agency_id", "status"))
    labels = dict(Registration._meta.get_field("status").choices)
    _line(
        agencies_sheet,
        [
            _("Tỉnh, thành phố"),
            _("Cơ quan"),
            _("Mã định danh cơ quan"),
            _("Trạng thái"),
            *[str(c.label) for c in Category],
            _("Tổng"),
        ],
    )
    for agency in with_answers(campaign, provinces).iterator():
        numbers = [per_agency.get(agency.pk, {}).get(c.value, 0) for c in Category]
        state = labels.get(status.get(agency.pk), _("Chưa bắt đầu"))
        _line(
            agencies_sheet,
            [
                agency.province.name if agency.province_id else "",
                agency.name,
                agency.code or "",
                str(state),
                *numbers,
                sum(numbers),
            ],
        )
    return save(workbook)
