"""Session lifetime: an idle limit, an absolute limit, and ending every session of a user at
once.

- **Idle**: Django's own expiry. `SESSION_COOKIE_AGE` is the idle window
  (`PORTAL_SESSION_IDLE_MINUTES`); saving the session moves its expiry (in the database and
  the cookie) to now + that window, so the window slides with activity. An expired session is
  simply not found: the request is anonymous. The session is saved at most once a minute
  (`REFRESH_SECONDS`), not on every request as `SESSION_SAVE_EVERY_REQUEST` would (three more
  queries on every page, over the pages' query budgets, docs/architecture.md §2.13): a
  session therefore ends between 29 and 30 minutes after the last request.
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

# The session keys holding the time of sign-in and of the last save (seconds since the epoch).
LOGIN_AT = "portal_login_at"
SEEN_AT = "portal_seen_at"
# The idle window is moved forward by a request at most this often.
REFRESH_SECONDS = 60


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def max_age() -> timedelta:
    return timedelta(hours=settings.PORTAL_SESSION_MAX_HOURS)


def session_start(*, request, user) -> None:
    """At sign-in: note the time (for the absolute limit) and record the session's key under its
    user (to end it with the user's other sessions). Rows of sessions that cannot be alive any
    more (older than the absolute limit) are dropped on the way."""
    now = timezone.now()
    request.session[LOGIN_AT] = request.session[SEEN_AT] = now.timestamp()
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


def _too_old(request, now: float) -> bool:
    started = request.session.get(LOGIN_AT)
    if started is None:
        return True
    return now - started > max_age().total_seconds()


def _slide(request, now: float) -> None:
    """Move the idle window forward: a changed session is saved, with a new expiry."""
    if now - request.session.get(SEEN_AT, 0) >= REFRESH_SECONDS:
        request.session[SEEN_AT] = now


class SessionLimitMiddleware:
    """Slides the idle window, ends a session past the absolute limit, tells the user why a
    session ended, follows a session whose key a view changed (a password change cycles it),
    and turns an htmx request's redirect to the sign-in page into an `HX-Redirect` (a redirect
    would be followed by htmx and the sign-in page swapped into a fragment).

    Runs after authentication, messages and htmx (config/settings.py MIDDLEWARE)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ended, key = False, None
        if request.user.is_authenticated:
            key = request.session.session_key
            now = timezone.now().timestamp()
            if _too_old(request, now):
                logout(request)
                ended = True
            else:
                _slide(request, now)
        elif settings.SESSION_COOKIE_NAME in request.COOKIES and request.session.is_empty():
            # The browser still holds a session cookie the server no longer knows: it ran out
            # (idle), or its user was deactivated or signed out elsewhere.
            ended = True
        if ended:
            messages.info(
                request, _("Phiên làm việc đã hết hạn hoặc đã kết thúc. Vui lòng đăng nhập lại.")
            )
        response = self.get_response(request)
        if key and request.user.is_authenticated and request.session.session_key != key:
            _follow_key(request, old=key)
        if getattr(request, "htmx", False) and _is_login_redirect(response):
            return HttpResponseClientRedirect(_login_url_for_page(request))
        return response


def _follow_key(request, *, old: str) -> None:
    """The view gave the session a new key (a password change, or signing in again): keep
    tracking it under the same user, unless signing in tracked it already."""
    new = request.session.session_key
    if new and not UserSession.objects.filter(session_key=new).exists():
        UserSession.objects.filter(session_key=old, user_id=request.user.pk).update(session_key=new)


def _is_login_redirect(response) -> bool:
    if response.status_code not in (301, 302) or not response.has_header("Location"):
        return False
    return urlsplit(response["Location"]).path == resolve_url(settings.LOGIN_URL)


def _login_url_for_page(request) -> str:
    """The sign-in page, coming back afterwards to the page the user was on (not to the
    fragment htmx asked for)."""
    page = request.htmx.current_url_abs_path or request.get_full_path()
    return redirect_to_login(page)["Location"]
