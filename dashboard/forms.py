"""Forms of the monthly report page (docs/architecture.md §10, "Monthly report")."""

import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.accounts.reauth import ReauthForm
from dashboard.reports import Month

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


class ReportMonthForm(forms.Form):
    """The report's month, as `<input type="month">` sends it ("2026-10"); only a month that
    has ended."""

    thang = forms.CharField(label=_("Tháng báo cáo"), max_length=7)

    def clean_thang(self) -> Month:
        match = MONTH_PATTERN.match(self.cleaned_data["thang"].strip())
        if match is None or not 1 <= int(match.group(2)) <= 12:
            raise forms.ValidationError(_("Hãy chọn tháng theo dạng mm/yyyy."))
        month = Month(int(match.group(1)), int(match.group(2)))
        today = timezone.localdate()
        if month.first_day >= today.replace(day=1) or month.year < 2000:
            raise forms.ValidationError(_("Chỉ lập báo cáo cho tháng đã kết thúc."))
        return month


class SignForm(ReauthForm, ReportMonthForm):
    """ "Ký số và gửi UBND tỉnh": the month and the signer's password (and code) again."""
