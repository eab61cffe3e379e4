"""Re-authentication before a sensitive action: the user types their password again and, when
they have a confirmed second-factor device, a one-time code (docs/architecture.md §3.2, the
lifecycle table's `reauth`).

Any app above `agencies` uses it the same way: its form inherits `ReauthForm` (the two fields),
its template draws them with `{% load reauth %}{% reauth_fields "name" %}`, and its view calls
`form.reauth_verify(request, purpose=..., obj=...)` before the service runs. A refusal is a
`ReauthFailed` (a DomainError with a Vietnamese message) and an `account.reauth_failed` audit
event; nothing else changes.

The password goes through `django.contrib.auth.authenticate`, so every authentication backend
(and a lockout that counts failures) sees it; the code through the second factor's own check
(agencies/accounts/twofactor.py `code_matches`): a 6-digit code is tried on the authenticator
only and a recovery code on the recovery codes only, so each factor counts its own wrong codes
and a recovery code never throttles the authenticator.
"""

from django import forms
from django.contrib.auth import authenticate
from django.db import transaction
from django.utils.translation import gettext_lazy
from django_otp import devices_for_user

from agencies.accounts.twofactor import code_matches
from portal.audit import audit_record
from portal.errors import DomainError

# Set on the request while its password is checked again, so the failed-sign-in receiver
# (agencies/accounts/signals.py) leaves the event to this module: one event per failure.
CHECKING_FLAG = "_portal_reauth_in_progress"


class ReauthFailed(DomainError):
    """The password or the one-time code given to confirm an action was wrong or missing."""


def needs_code(user) -> bool:
    """Whether `user` has a confirmed second-factor device, and so must give a code too."""
    return any(True for _device in devices_for_user(user, confirmed=True))


def _problem(request, password: str, code: str) -> str | None:
    user = request.user
    if not password:
        return "password_missing"
    setattr(request, CHECKING_FLAG, True)
    try:
        checked = authenticate(request=request, username=user.get_username(), password=password)
    finally:
        delattr(request, CHECKING_FLAG)
    if checked is None or checked.pk != user.pk:
        return "password_wrong"
    if needs_code(user):
        if not code:
            return "code_missing"
        if code_matches(user=user, code=code) is None:
            return "code_wrong"
    return None


MESSAGES = {
    "password_missing": gettext_lazy(
        "Hãy nhập lại mật khẩu của bạn để xác nhận thao tác này. Chưa có gì thay đổi."
    ),
    "password_wrong": gettext_lazy(
        "Mật khẩu xác nhận không đúng, thao tác chưa được thực hiện. Lưu ý: mật khẩu phân biệt chữ hoa và chữ thường."
    ),
    "code_missing": gettext_lazy(
        "Hãy nhập mã xác thực 6 chữ số trong ứng dụng xác thực của bạn. Chưa có gì thay đổi."
    ),
    "code_wrong": gettext_lazy(
        "Mã xác thực không đúng hoặc đã hết hạn, thao tác chưa được thực hiện."
    ),
}


def reauth_verify(*, request, password: str, code: str = "", purpose: str, obj=None) -> None:
    """Confirm that the person at `request.user`'s keyboard is that user, or raise ReauthFailed
    after recording `account.reauth_failed` (who, for what, what was wrong; never the password
    or the code)."""
    problem = _problem(request, password or "", (code or "").strip())
    if problem is None:
        return
    with transaction.atomic():
        audit_record(
            actor=request.user,
            action="account.reauth_failed",
            obj=obj,
            after={"purpose": purpose, "problem": problem},
        )
    raise ReauthFailed(str(MESSAGES[problem]), code=problem)


class ReauthForm(forms.Form):
    """The two fields of a confirmation; inherit them in an action's form."""

    reauth_password = forms.CharField(required=False, strip=False, max_length=4096)
    reauth_code = forms.CharField(required=False, strip=True, max_length=32)

    def reauth_verify(self, request, *, purpose: str, obj=None) -> None:
        """Call on a valid form, before the action: raises ReauthFailed when refused."""
        reauth_verify(
            request=request,
            password=self.cleaned_data.get("reauth_password", ""),
            code=self.cleaned_data.get("reauth_code", ""),
            purpose=purpose,
            obj=obj,
        )
