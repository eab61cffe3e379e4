"""The incident register's forms: they only parse what was typed; the rules are the services'
(`privacy.services`), whose DomainError the views show on the page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from privacy.choices import CorrectableField, DataCategory

WHEN_FORMATS = ["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"]


class WhenField(forms.DateTimeField):
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", WHEN_FORMATS)
        kwargs.setdefault(
            "error_messages", {"invalid": _("Nhập ngày giờ dạng ngày/tháng/năm giờ:phút.")}
        )
        super().__init__(**kwargs)


class IncidentForm(forms.Form):
    title = forms.CharField(label=_("Tên sự cố"), max_length=200)
    detected_at = WhenField(
        label=_("Thời điểm phát hiện"),
        help_text=_("Thời hạn 72 giờ để thông báo Cục A05 tính từ thời điểm này."),
    )
    occurred_at = WhenField(label=_("Thời điểm xảy ra (nếu biết)"), required=False)
    categories = forms.MultipleChoiceField(
        label=_("Loại dữ liệu cá nhân bị ảnh hưởng"),
        choices=DataCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Hãy chọn loại dữ liệu cá nhân bị ảnh hưởng.")},
    )
    subjects_count = forms.IntegerField(
        label=_("Số chủ thể dữ liệu bị ảnh hưởng (ước tính)"), min_value=0, max_value=10**9,
        error_messages={
            "min_value": _("Nhập số người bị ảnh hưởng, từ 0 trở lên."),
            "max_value": _("Số người bị ảnh hưởng quá lớn."),
            "invalid": _("Nhập số người bị ảnh hưởng bằng chữ số."),
        },
    )  # fmt: skip
    description = forms.CharField(
        label=_("Mô tả sự cố"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    consequences = forms.CharField(
        label=_("Hậu quả, thiệt hại có thể xảy ra"), max_length=5000, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip
    measures = forms.CharField(
        label=_("Biện pháp đã và sẽ thực hiện"), max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip
    contact = forms.CharField(
        label=_("Người phụ trách, thông tin liên hệ"), max_length=255,
        help_text=_("Họ tên, chức vụ, điện thoại, thư điện tử của người phụ trách xử lý sự cố."),
    )  # fmt: skip


class NotifiedForm(forms.Form):
    notified_at = WhenField(label=_("Thời điểm đã thông báo"))
    reference = forms.CharField(label=_("Số, ngày văn bản thông báo hoặc cách gửi"), max_length=255)


class CloseForm(forms.Form):
    note = forms.CharField(
        label=_("Kết quả xử lý sự cố"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CorrectionForm(forms.Form):
    """A person's correction request: which field, the right value, why. The value is checked
    by the field's own rules in the service (`privacy.corrections`)."""

    field = forms.ChoiceField(
        label=_("Thông tin cần đính chính"),
        choices=[("", _("— Chọn thông tin —")), *CorrectableField.choices],
        error_messages={
            "required": _("Hãy chọn thông tin cần đính chính."),
            "invalid_choice": _("Hãy chọn thông tin cần đính chính."),
        },
    )
    new_value = forms.CharField(
        label=_("Thông tin đúng"), max_length=255,
        help_text=_("Ngày ghi dạng ngày/tháng/năm, ví dụ 05/03/1990."),
        error_messages={"required": _("Hãy nhập thông tin đúng."),
                        "max_length": _("Thông tin đúng dài quá 255 ký tự.")},
    )  # fmt: skip
    reason = forms.CharField(
        label=_("Lý do, căn cứ"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Ví dụ: theo căn cước cấp ngày …; quyết định điều động số …"),
        error_messages={"required": _("Hãy nêu lý do, căn cứ đính chính."),
                        "max_length": _("Lý do dài quá 1000 ký tự.")},
    )  # fmt: skip


class CorrectionRejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do từ chối"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Hãy nêu lý do từ chối."),
                        "max_length": _("Lý do dài quá 1000 ký tự.")},
    )  # fmt: skip


class CorrectionNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Ghi chú (không bắt buộc)"), max_length=1000, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip
