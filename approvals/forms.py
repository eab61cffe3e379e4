from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.accounts.reauth import ReauthForm


class ApproveForm(ReauthForm):
    note = forms.CharField(
        label=_("Ý kiến (không bắt buộc)"), required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip


class RejectForm(ReauthForm):
    reason = forms.CharField(
        label=_("Lý do từ chối"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Hãy nêu lý do từ chối.")},
    )  # fmt: skip


class CancelForm(forms.Form):
    note = forms.CharField(label=_("Lý do hủy (không bắt buộc)"), required=False, max_length=1000)
