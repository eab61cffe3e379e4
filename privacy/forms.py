"""The privacy forms: the incident register's and the correction requests' (they only parse what
was typed; the rules are the services', whose DomainError the views show on the page), the reason
of a reveal, and the mixin that keeps a masked value out of a form's inputs."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agencies.validators import nfc
from privacy.access import REASON_MAX
from privacy.choices import CorrectableField, DataCategory
from privacy.masking import masked
from privacy.reveal import shown_in_full

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


class RevealForm(forms.Form):
    """Why the user needs a masked value in full (docs/privacy.md §masking): required, at most
    REASON_MAX characters once NFC-normalised; recorded with the access."""

    reason = forms.CharField(
        label=_("Lý do cần xem đầy đủ"),
        strip=True,
        widget=forms.TextInput(attrs={"maxlength": REASON_MAX, "autocomplete": "off"}),
        error_messages={"required": _("Hãy nêu lý do cần xem dữ liệu cá nhân đầy đủ.")},
    )

    def clean_reason(self) -> str:
        reason = nfc(self.cleaned_data["reason"])
        if not reason:
            raise ValidationError(gettext("Hãy nêu lý do cần xem dữ liệu cá nhân đầy đủ."))
        if len(reason) > REASON_MAX:
            raise ValidationError(gettext("Lý do dài quá %(max)d ký tự.") % {"max": REASON_MAX})
        return reason


KEEP_HELP = _("Đã lưu %(value)s: để trống để giữ nguyên, nhập giá trị mới để thay.")


class KeepMaskedMixin:
    """A form whose masked fields (`privacy.masking`) never carry their stored value into the
    page: the input is empty, the masked value is its placeholder and its help says that a
    blank keeps it. A field left blank cleans to the kept value and is not "changed"; a value
    typed replaces it. Put it before the form class; call `keep_masked` from `__init__`."""

    kept: dict

    def keep_masked(self, kept: dict[str, tuple[str, object]], *, in_full: bool = False) -> None:
        """`kept`: field name → (the inventory's key, the stored value). An initial value
        equal to the stored one is dropped; one the user has just typed stays. `in_full`:
        the user sees the values unmasked (`privacy.reveal.author_sees_in_full`): the
        placeholder shows the value itself, the input stays empty all the same (a blank
        keeps the value, so an imported ID is confirmed only by typing it)."""
        self.kept = {}
        self.initial = dict(self.initial)
        for name, (key, value) in kept.items():
            field = self.fields.get(name)
            if field is None or value in (None, ""):
                continue
            self.kept[name] = value
            if self.initial.get(name) == value:
                self.initial[name] = None
            shown = shown_in_full(value) if in_full else masked(key, value)
            field.required = False
            field.widget.attrs["placeholder"] = shown
            note = KEEP_HELP % {"value": shown}
            field.help_text = f"{field.help_text} {note}" if field.help_text else note

    def left_blank(self) -> set[str]:
        """The kept fields the user left blank."""
        if not self.is_bound:
            return set()
        return {
            name
            for name in getattr(self, "kept", {})
            if not str(self.data.get(self.add_prefix(name), "") or "").strip()
        }

    def clean(self):
        cleaned = super().clean()
        for name in self.left_blank():
            cleaned[name] = self.kept[name]
        return cleaned

    @property
    def changed_data(self) -> list[str]:
        blank = self.left_blank()
        return [name for name in super().changed_data if name not in blank]
