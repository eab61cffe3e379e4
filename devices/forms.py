"""Forms of the devices pages: they parse and NFC-normalise input; the services decide."""

from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.validators import nfc
from devices.choices import DeviceCondition, ReceiverKind

# Typed dd/mm/yyyy whatever the browser's locale (a date input would show mm/dd to some).
DATE_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"]


class NFCFormMixin:
    """Every text field arrives composed (browsers and Excel may send decomposed accents)."""

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if isinstance(value, str):
                cleaned[name] = nfc(value)
        return cleaned


def _time_field(label, **kwargs):
    return forms.TimeField(
        label=label,
        input_formats=["%H:%M", "%Hh%M", "%H giờ %M"],
        widget=forms.TimeInput(
            format="%H:%M", attrs={"placeholder": "hh:mm", "autocomplete": "off"}
        ),
        error_messages={"invalid": _("Giờ không hợp lệ: hãy nhập theo dạng hh:mm (24 giờ).")},
        **kwargs,
    )


def _date_field(label, **kwargs):
    return forms.DateField(
        label=label,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(
            format="%d/%m/%Y",
            attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"},
        ),
        error_messages={"invalid": _("Ngày không hợp lệ: hãy nhập theo dạng dd/mm/yyyy.")},
        **kwargs,
    )


class DeviceChoiceMixin:
    """Multiple-choice fields over device ids offered by the page (`candidates`)."""

    def _set_device_choices(self, candidates, *names):
        choices = [(str(d.pk), d.serial) for d in candidates]
        for name in names:
            self.fields[name].choices = choices


class HandoverForm(NFCFormMixin, DeviceChoiceMixin, forms.Form):
    handed_on = _date_field(_("Ngày bàn giao"))
    devices = forms.MultipleChoiceField(
        label=_("Thiết bị bàn giao"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Hãy chọn ít nhất một thiết bị.")},
    )
    acknowledged = forms.MultipleChoiceField(
        label=_("Thuê bao đã ký nhận"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, candidates=(), **kwargs):
        kwargs.setdefault("initial", {"handed_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self._set_device_choices(candidates, "devices", "acknowledged")

    def clean(self):
        cleaned = super().clean()
        chosen = set(cleaned.get("devices") or [])
        signed = set(cleaned.get("acknowledged") or [])
        if chosen and chosen - signed:
            self.add_error(
                "acknowledged",
                _("Mỗi thiết bị được chọn phải có chữ ký nhận của thuê bao."),
            )
        return cleaned


class LockForm(NFCFormMixin, forms.Form):
    note = forms.CharField(label=_("Ghi chú"), required=False, max_length=500)


class LossForm(NFCFormMixin, forms.Form):
    representative_name = forms.CharField(label=_("Đại diện cơ quan (họ và tên)"), max_length=128)
    representative_position = forms.CharField(label=_("Chức vụ người đại diện"), max_length=128)
    lost_on = _date_field(_("Ngày thất lạc (khi nào)"))
    lost_time = _time_field(_("Giờ thất lạc"))
    lost_place = forms.CharField(label=_("Nơi thất lạc (ở đâu)"), max_length=255)
    circumstances = forms.CharField(
        label=_("Hoàn cảnh thất lạc (như thế nào)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    held_place = forms.CharField(label=_("Nơi lập biên bản"), max_length=255, required=False)

    def clean_lost_on(self):
        value = self.cleaned_data["lost_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("Ngày thất lạc không thể sau hôm nay."))
        return value

    def clean(self):
        cleaned = super().clean()
        day, time = cleaned.get("lost_on"), cleaned.get("lost_time")
        if day and time and timezone.make_aware(datetime.combine(day, time)) > timezone.now():
            self.add_error("lost_time", _("Thời điểm thất lạc không thể sau lúc này."))
        return cleaned


class MinutesForm(NFCFormMixin, DeviceChoiceMixin, forms.Form):
    held_on = _date_field(_("Ngày giao nhận"))
    held_time = _time_field(_("Giờ giao nhận"))
    place = forms.CharField(label=_("Địa điểm"), max_length=255)
    receiver_kind = forms.ChoiceField(
        label=_("Bên nhận"), choices=ReceiverKind.choices, widget=forms.RadioSelect
    )
    agency_representative = forms.CharField(label=_("Đại diện bên giao"), max_length=128)
    agency_representative_title = forms.CharField(
        label=_("Chức vụ người đại diện bên giao"), max_length=128, required=False
    )
    receiver_representative = forms.CharField(
        label=_("Đại diện bên nhận"), max_length=128, required=False
    )
    receiver_representative_title = forms.CharField(
        label=_("Chức vụ người đại diện bên nhận"), max_length=128, required=False
    )
    devices = forms.MultipleChoiceField(
        label=_("Thiết bị bàn giao lại"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Hãy chọn ít nhất một thiết bị.")},
    )

    def __init__(self, *args, candidates=(), **kwargs):
        now = timezone.localtime()
        kwargs.setdefault(
            "initial",
            {
                "held_on": now.date(),
                "held_time": now.time().replace(second=0, microsecond=0),
                "receiver_kind": ReceiverKind.CA,
            },
        )
        super().__init__(*args, **kwargs)
        self.candidates = list(candidates)
        self._set_device_choices(self.candidates, "devices")
        for device in self.candidates:
            self.fields[f"condition_{device.pk}"] = forms.ChoiceField(
                label=_("Tình trạng %(serial)s") % {"serial": device.serial},
                choices=DeviceCondition.choices,
                initial=DeviceCondition.GOOD,
                required=False,
            )

    def condition_field(self, device):
        return self[f"condition_{device.pk}"]

    def held_at(self) -> datetime:
        day = self.cleaned_data["held_on"]
        time = self.cleaned_data["held_time"]
        return timezone.make_aware(datetime.combine(day, time))

    def conditions(self) -> dict[int, str]:
        return {
            device.pk: self.cleaned_data.get(f"condition_{device.pk}") or DeviceCondition.GOOD
            for device in self.candidates
        }


class StockUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp Excel (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )
