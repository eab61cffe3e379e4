"""The holder's answer on the authorisation page (remote_signing/views.py)."""

from django import forms
from django.utils.translation import gettext_lazy as _


class AuthorizeForm(forms.Form):
    pin = forms.CharField(
        label=_("Mã PIN ký số"),
        max_length=16,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    otp = forms.CharField(
        label=_("Mã xác thực trên ứng dụng xác thực (6 chữ số)"),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class SimPinForm(forms.Form):
    """The SIM's PIN typed on the phone (the token's user PIN handed over with the SIM)."""

    pin = forms.RegexField(
        label=_("Mã PIN của SIM"),
        regex=r"^[0-9]{4,16}$",
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )


class ActivateForm(forms.Form):
    code = forms.CharField(
        label=_("Mã kích hoạt do CA cấp"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    pin = forms.CharField(
        label=_("Mã PIN ký số mới (6–16 chữ số)"),
        max_length=16,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "inputmode": "numeric"}),
    )
    pin_again = forms.CharField(
        label=_("Nhập lại mã PIN ký số"),
        max_length=16,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "inputmode": "numeric"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("pin") and data.get("pin") != data.get("pin_again"):
            self.add_error("pin_again", _("Hai lần nhập mã PIN không giống nhau."))
        return data
