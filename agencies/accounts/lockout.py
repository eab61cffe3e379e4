"""Sign-in lockout with django-axes: the client address, the Vietnamese lockout page and the
audit event of every lockout.

The limits live in config/settings.py ("Accounts: lockout and second factor"): failures are
counted per account and, separately, per client address. Every `authenticate(request=...)`
counts (the sign-in form, the admin's, a re-authentication), and so does a wrong second-factor
code (agencies/accounts/twofactor.py). An administrator unlocks by deleting the access attempts
in the admin ("Lần đăng nhập sai") or with `manage.py axes_reset_username <name>` /
`axes_reset_ip <address>` / `axes_reset`.
"""

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import render

from portal.audit import audit_record


def cooloff_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_response(request, original_response=None, credentials=None):
    """What a locked-out client sees: a Vietnamese page saying what to do (429), or JSON for
    the API and scripted clients."""
    from django.utils.translation import gettext as _

    message = _(
        "Tài khoản hoặc địa chỉ truy cập này đã bị tạm khóa đăng nhập sau %(limit)d lần nhập sai. "
        "Vui lòng thử lại sau %(minutes)d phút, hoặc liên hệ quản trị hệ thống để được mở khóa."
    ) % {"limit": settings.AXES_FAILURE_LIMIT, "minutes": cooloff_minutes()}
    status = settings.AXES_HTTP_RESPONSE_CODE
    if request.path_info.startswith("/api/") or request.headers.get("x-requested-with"):
        return JsonResponse({"detail": message}, status=status)
    return render(
        request,
        "agencies/accounts/locked_out.html",
        {"message": message, "minutes": cooloff_minutes()},
        status=status,
    )


@receiver(user_locked_out)
def _audit_lockout(sender, request=None, username=None, ip_address=None, **kwargs):
    """Every lockout is an audit event: who was tried and from where, never the password."""
    actor = AnonymousUser()
    if username:
        actor = get_user_model().objects.filter(username=username).first() or actor
    audit_record(
        actor=actor,
        action="account.locked_out",
        obj=actor if actor.pk is not None else None,
        after={"username": (username or "")[:150], "ip_address": ip_address or ""},
    )
