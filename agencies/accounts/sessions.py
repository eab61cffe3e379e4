"""Session lifetime: an idle limit, an absolute limit, and ending every session of a user at
once.

- **Idle**: Django's own mechanism. `SESSION_COOKIE_AGE` is the idle window
  (`PORTAL_SESSION_IDLE_MINUTES`) and `SESSION_SAVE_EVERY_REQUEST` moves the session's expiry
  forward on every request, so the window slides with activity. An expired session is simply
  not found: the request is anonymous.
- **Absolute**: the time of sign-in is kept in the session (`LOGIN_AT`); `SessionLimitMiddleware`
  ends a session older than `PORTAL_SESSION_MAX_HOURS`, however active.
- **Ending a user's sessions**: each sign-in records its session key (`UserSession`), so
  deactivating a user deletes exactly their sessions, never scanning the session table.

A request that meets an ended session is sent to the sign-in page, which says why; an htmx
request gets an `HX-Redirect` so the whole page goes there, not a fragment.
"""

from datetime import timedelta
from importlib import import_module
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from agencies.models import UserSession

# The session key holding the time of sign-in (seconds since the epoch).
LOGIN_AT = "portal_login_at"


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def max_age() -> timedelta:
    return timedelta(hours=settings.PORTAL_SESSION_MAX_HOURS)


def session_start(*, request, user) -> None:
    """At sign-in: note the time (for the absolute limit) and record the session's key under its
    user (to end it with the user's other sessions). Rows of sessions that cannot be alive any
    more (older than the absolute limit) are dropped on the way."""
    now = timezone.now()
    request.session[LOGIN_AT] = now.timestamp()
    if request.session.session_key is None:
        request.session.save()
    UserSession.objects.filter(user=user, started_at__lt=now - max_age()).delete()
    UserSession.objects.update_or_create(
        session_key=request.session.session_key, defaults={"user": user, "started_at": now}
    )


def session_forget(*, request) -> None:
    """At sign-out: the session is being flushed; forget its key."""
    key = getattr(request, "session", None) and request.session.session_key
    if key:
        UserSession.objects.filter(session_key=key).delete()


def user_sessions_end(*, user) -> int:
    """Delete every session `user` signed in with, so their next request is anonymous.
    Returns how many were recorded. Call it in the transaction that deactivates the user."""
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    store = _session_store()
    for key in keys:
        store(session_key=key).delete()
    UserSession.objects.filter(user=user).delete()
    return len(keys)


def _too_old(request) -> bool:
    started = request.session.get(LOGIN_AT)
    if started is None:
        return True
    return timezone.now().timestamp() - started > max_age().total_seconds()


class SessionLimitMiddleware:
    """Ends a session past the absolute limit, tells the user why a session ended, and turns
    an htmx request's redirect to the sign-in page into an `HX-Redirect` (a redirect would be
    followed by htmx and the sign-in page swapped into a fragment).

    Runs after authentication, messages and htmx (config/settings.py MIDDLEWARE)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ended = False
        if request.user.is_authenticated:
            if _too_old(request):
                logout(request)
                ended = True
        elif settings.SESSION_COOKIE_NAME in request.COOKIES and request.session.is_empty():
            # The browser still holds a session cookie the server no longer knows: it ran out
            # (idle), or its user was deactivated or signed out elsewhere.
            ended = True
        if ended:
            messages.info(
                request, _("Phiên làm việc đã hết hạn hoặc đã kết thúc. Vui lòng đăng nhập lại.")
            )
        response = self.get_response(request)
        if getattr(request, "htmx", False) and _is_login_redirect(response):
            return HttpResponseClientRedirect(_login_url_for_page(request))
        return response


def _is_login_redirect(response) -> bool:
    if response.status_code not in (301, 302) or not response.has_header("Location"):
        return False
    return urlsplit(response["Location"]).path == resolve_url(settings.LOGIN_URL)


def _login_url_for_page(request) -> str:
    """The sign-in page, coming back afterwards to the page the user was on (not to the
    fragment htmx asked for)."""
    page = request.htmx.current_url_abs_path or request.get_full_path()
    return redirect_to_login(page)["Location"]
