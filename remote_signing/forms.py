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
