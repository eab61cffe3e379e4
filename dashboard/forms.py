"""Forms of the monthly report page (docs/statistics.md §10, "Monthly report")."""

import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dashboard.months import Month

# What `<input type="month">` sends ("2026-10"), or what a person types where the browser
# shows a plain text box instead ("10/2026").
MONTH_PATTERNS = (
    re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})$"),
    re.compile(r"^(?P<month>\d{1,2})/(?P<year>\d{4})$"),
)


class ReportMonthForm(forms.Form):
    """The report's month, as `<input type="month">` sends it ("2026-10"); only a month that
    has ended."""

    thang = forms.CharField(label=_("Tháng báo cáo"), max_length=7)

    def clean_thang(self) -> Month:
        text = self.cleaned_data["thang"].strip()
        match = next((m for p in MONTH_PATTERNS if (m := p.match(text))), None)
        if match is None or not 1 <= int(match["month"]) <= 12:
            raise forms.ValidationError(_("Hãy chọn tháng theo dạng mm/yyyy."))
        month = Month(int(match["year"]), int(match["month"]))
        today = timezone.localdate()
        if month.first_day >= today.replace(day=1) or month.year < 2000:
            raise forms.ValidationError(_("Chỉ lập báo cáo cho tháng đã kết thúc."))
        return month
