"""The sign-in form, and the one field every second-factor page asks for: a code."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from agencies.accounts.reauth import ReauthForm


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


class EnrolmentStartForm(ReauthForm):
    """The first step of an enrolment: the administrator's enrolment code for those who must
    have a second factor, the password again for a voluntary enrolment."""

    enrolment_code = forms.CharField(
        label=_("Mã đăng ký do quản trị hệ thống cấp"),
        max_length=32,
        strip=True,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )

    def __init__(self, *args, needs_code: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs_code = needs_code
        if needs_code:
            self.fields["enrolment_code"].required = True
            self.fields["enrolment_code"].error_messages["required"] = _(
                "Vui lòng nhập mã đăng ký do quản trị hệ thống cấp."
            )
            del self.fields["reauth_password"], self.fields["reauth_code"]
        else:
            del self.fields["enrolment_code"]


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
