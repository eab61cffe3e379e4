"""The account pages: the code step of sign-in, enrolment (an enrolment code or the password
again, then a QR code), the account page (turn on, new recovery codes, turn off when not
required), and signing out of every session at once."""

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from agencies.accounts import twofactor
from agencies.accounts.forms import CodeForm, EnrolmentStartForm
from agencies.accounts.lockout import cooloff_minutes, lockout_response
from agencies.accounts.reauth import ReauthFailed
from agencies.accounts.sessions import user_sessions_end
from portal.audit import audit_record


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


def _refusal(result) -> str:
    if result.factor_locked:
        return _(
            "Loại mã này đã bị nhập sai %(limit)d lần liên tiếp nên tạm khóa trong %(minutes)d phút. Bạn vẫn có thể dùng loại mã còn lại (mã trong ứng dụng xác thực hoặc một mã khôi phục), hoặc liên hệ quản trị hệ thống."
        ) % {"limit": settings.PORTAL_2FA_FAILURE_LIMIT, "minutes": cooloff_minutes()}
    if result.throttled:
        return _("Bạn vừa nhập sai mã. Vui lòng đợi vài giây rồi nhập lại.")
    return _(
        "Mã xác thực không đúng hoặc đã hết hạn. Hãy nhập mã 6 chữ số đang hiển thị trong ứng dụng xác thực, hoặc một mã khôi phục chưa dùng."
    )


@login_required
def verify(request):
    """Second sign-in step: a code from the app or a recovery code."""
    user = request.user
    if user.is_verified():
        return redirect(_next_url(request))
    if not twofactor.two_factor_enabled(user):
        if twofactor.two_factor_required(user):
            return redirect("accounts:enrol")
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        credentials = {"username": user.get_username()}
        if AxesProxyHandler.is_locked(request, credentials):
            logout(request)
            return lockout_response(request)
        if form.is_valid():
            result = twofactor.second_factor_verify(
                request=request, user=user, code=form.cleaned_data["code"]
            )
            if result.ok:
                if result.recovery_code_used:
                    left = twofactor.recovery_codes_left(user)
                    messages.warning(
                        request,
                        _(
                            "Bạn vừa dùng một mã khôi phục (mỗi mã chỉ dùng được một lần); còn lại %(left)d mã. Hãy tạo mã mới ở trang Tài khoản nếu sắp hết."
                        )
                        % {"left": left},
                    )
                return redirect(_next_url(request))
            if result.locked_out:
                logout(request)
                return lockout_response(request)
            form.add_error("code", _refusal(result))
    return render(
        request, "agencies/accounts/verify.html", {"form": form, "next": _next_url(request)}
    )


ENROL_SESSION_KEY = "portal_enrolment"


def _enrolment_in_progress(request):
    """(the unconfirmed device, the enrolment code's id) the first step left in this session,
    or None."""
    state = request.session.get(ENROL_SESSION_KEY) or {}
    device = twofactor.unconfirmed_device(user=request.user, pk=state.get("device"))
    if device is None:
        return None
    return device, state.get("code")


@login_required
def enrol(request):
    """Enrolment in two steps. First what a password thief lacks: the enrolment code from an
    administrator (for those who must have a second factor) or the password again (a voluntary
    enrolment); only then a fresh secret to scan or type, confirmed with a first code, and the
    recovery codes shown once."""
    user = request.user
    if twofactor.two_factor_enabled(user):
        if not user.is_verified():
            return redirect("accounts:verify")
        return redirect("accounts:account")
    needs_code = twofactor.enrolment_code_needed(user)
    context = {"required": twofactor.two_factor_required(user), "next": _next_url(request)}
    in_progress = _enrolment_in_progress(request)
    if request.method == "POST" and request.POST.get("step") == "start":
        form = EnrolmentStartForm(request.POST, needs_code=needs_code)
        if form.is_valid():
            started = None
            try:
                if not needs_code:
                    form.reauth_verify(request, purpose="2fa_enrol", obj=user)
                started = twofactor.enrolment_start(
                    user=user,
                    enrolment_code=form.cleaned_data.get("enrolment_code", ""),
                    request=request,
                )
            except ReauthFailed as refusal:
                form.add_error(None, str(refusal))
            else:
                if started is None:
                    form.add_error(
                        "enrolment_code",
                        _(
                            "Mã đăng ký không đúng, đã dùng hoặc đã hết hạn. Hãy liên hệ quản trị hệ thống để được cấp mã mới."
                        ),
                    )
            if started is not None:
                device, code_id = started
                request.session[ENROL_SESSION_KEY] = {"device": device.pk, "code": code_id}
                return redirect(
                    f"{reverse('accounts:enrol')}?{urlencode({'next': _next_url(request)})}"
                )
        return render(request, "agencies/accounts/enrol_start.html", {**context, "form": form})
    if in_progress is None:
        return render(
            request,
            "agencies/accounts/enrol_start.html",
            {**context, "form": EnrolmentStartForm(needs_code=needs_code)},
        )
    device, code_id = in_progress
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = twofactor.two_factor_enable(
                device=device, code=form.cleaned_data["code"], by=user, enrolment_code_id=code_id
            )
        except twofactor.EnrolmentRefused:
            request.session.pop(ENROL_SESSION_KEY, None)
            messages.error(
                request,
                _(
                    "Mã đăng ký đã hết hạn hoặc không còn dùng được. Hãy liên hệ quản trị hệ thống để được cấp mã mới."
                ),
            )
            return redirect("accounts:enrol")
        if codes is not None:
            request.session.pop(ENROL_SESSION_KEY, None)
            device.refresh_from_db()
            otp_login(request, device)
            return _show_codes(request, codes, first_time=True)
        form.add_error(
            "code",
            _("Mã xác thực không đúng. Kiểm tra giờ trên điện thoại rồi nhập mã đang hiển thị."),
        )
    response = render(
        request,
        "agencies/accounts/enrol.html",
        {
            **context,
            "form": form,
            "qr_svg": twofactor.qr_svg(device),
            "secret": twofactor.secret_base32(device),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


def _show_codes(request, codes, *, first_time: bool):
    response = render(
        request,
        "agencies/accounts/recovery_codes.html",
        {
            "codes": [twofactor.format_recovery_code(c) for c in codes],
            "first_time": first_time,
            "next": _next_url(request),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def account(request):
    user = request.user
    return render(
        request,
        "agencies/accounts/account.html",
        {
            "enabled": twofactor.two_factor_enabled(user),
            "required": twofactor.two_factor_required(user),
            "device": twofactor.totp_device_of(user),
            "codes_left": twofactor.recovery_codes_left(user),
            "form": CodeForm(),
        },
    )


def _confirmed_by_code(request) -> bool:
    """A change on the account page needs a current code from the app."""
    form = CodeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Vui lòng nhập mã xác thực."))
        return False
    result = twofactor.code_check(user=request.user, code=form.cleaned_data["code"])
    if not result.ok:
        messages.error(request, _refusal(result))
    return result.ok


@login_required
@require_POST
def recovery_codes(request):
    """Ten new recovery codes; the old ones stop working."""
    if not twofactor.two_factor_enabled(request.user) or not _confirmed_by_code(request):
        return redirect("accounts:account")
    codes = twofactor.recovery_codes_regenerate(user=request.user, by=request.user)
    return _show_codes(request, codes, first_time=False)


@login_required
@require_POST
def disable(request):
    if twofactor.two_factor_required(request.user):
        messages.error(request, _("Vai trò của bạn bắt buộc xác thực hai lớp nên không thể tắt."))
        return redirect("accounts:account")
    if twofactor.two_factor_enabled(request.user) and _confirmed_by_code(request):
        twofactor.two_factor_disable(user=request.user, by=request.user)
        messages.success(request, _("Đã tắt xác thực hai lớp cho tài khoản của bạn."))
    return redirect("accounts:account")


@login_required
@require_POST
def sign_out_everywhere(request):
    """End every session of the user (another browser, a lost phone), this one included."""
    user = request.user
    with transaction.atomic():
        logout(request)  # this session: recorded as account.logout
        ended = user_sessions_end(user=user)
        audit_record(
            actor=user, action="account.sessions_ended", obj=user, after={"sessions": ended}
        )
    messages.success(request, _("Đã đăng xuất khỏi mọi phiên đăng nhập của bạn."))
    return redirect("login")
