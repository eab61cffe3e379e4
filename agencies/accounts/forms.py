"""The sign-in form, and the one field every second-factor page asks for: a code."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Mã xác thực"),
        max_length=32,
        strip=True,
        error_messages={"required": _("Vui lòng nhập mã xác thực.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )


class SignInForm(AuthenticationForm):
    """Django's sign-in form, refusing a name longer than any username before the password is
    checked. Django's own form only sets the input's maxlength, so a longer name reached
    authenticate() and django-axes failed to record it in its 255-character column (a 500)."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        limit = self.username_field.max_length or 150
        self.fields["username"].validators.append(
            MaxLengthValidator(
                limit, message=_("Tên đăng nhập dài quá %(limit_value)d ký tự: hãy kiểm tra lại.")
            )
        )
