"""Sign-in lockout with django-axes: the account and the client address each against its own
limit, the Vietnamese lockout page and the audit event of every lockout.

The limits live in config/settings.py ("Accounts: lockout and second factor"). Every
`authenticate(request=...)` counts (the sign-in form, the admin's, a re-authentication) toward
the account, locked at AXES_FAILURE_LIMIT wrong passwords. The client address counts those
wrong passwords plus the wrong second-factor codes typed from it (`CodeFailure`, written by
agencies/accounts/twofactor.py) and is locked only at PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT, far
higher: one person behind an office's shared address cannot lock the office out (ASVS 5.0 V6,
NIST SP 800-63B §5.2.2; docs/security.md). A wrong code never counts toward the account's
password lockout: each factor keeps its own count (twofactor.py).

An administrator unlocks by deleting the access attempts in the admin ("Lần đăng nhập sai") or
with `manage.py axes_reset_username <name>` / `axes_reset_ip <address>` / `axes_reset`.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db.models import Sum
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import CodeFailure
from portal.audit import audit_record
from portal.middleware import client_address


def _since():
    return timezone.now() - settings.AXES_COOLOFF_TIME


def _code_failures(address) -> int:
    if not address:
        return 0
    return CodeFailure.objects.filter(address=address, at__gte=_since()).count()


def address_failures(address) -> int:
    """Failures from `address` within the cool-off: wrong passwords (django-axes' attempts) and
    wrong second-factor codes."""
    if not address:
        return 0
    passwords = AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=_since())
    return (passwords.aggregate(n=Sum("failures_since_start"))["n"] or 0) + _code_failures(address)


def address_locked(request) -> bool:
    return address_failures(client_address(request)) >= settings.PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT


def address_failure_record(request) -> None:
    """Count a wrong second-factor code (or enrolment code) toward the client's address; rows
    past the cool-off go."""
    now = timezone.now()
    CodeFailure.objects.filter(at__lt=now - settings.AXES_COOLOFF_TIME).delete()
    CodeFailure.objects.create(address=(client_address(request) or "")[:64], at=now)


class PortalAxesHandler(AxesDatabaseHandler):
    """django-axes' database handler with two limits instead of one: the account's wrong
    passwords against AXES_FAILURE_LIMIT, the address's failures (passwords and codes) against
    PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT. django-axes compares `get_failures` with
    AXES_FAILURE_LIMIT, so a locked address reports the account limit."""

    def get_failures(self, request, credentials=None) -> int:
        by_account, by_address = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        address = getattr(request, "axes_ip_address", None)
        if by_address + _code_failures(address) >= settings.PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT:
            return max(by_account, settings.AXES_FAILURE_LIMIT)
        return by_account


def cooloff_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_response(request, original_response=None, credentials=None):
    """What a locked-out client sees: a Vietnamese page saying what to do (429), or JSON for
    the API and scripted clients."""
    message = _(
        "Tài khoản hoặc địa chỉ truy cập này đã bị tạm khóa đăng nhập vì nhập sai quá nhiều lần. "
        "Vui lòng thử lại sau %(minutes)d phút, hoặc liên hệ quản trị hệ thống để được mở khóa."
    ) % {"minutes": cooloff_minutes()}
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
