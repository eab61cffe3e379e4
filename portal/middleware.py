"""Request-wide context: the request id, client address and user for the audit trail, and the
language (Vietnamese unless the user chose English)."""

import contextvars
import ipaddress
import re
import uuid

from django.conf import settings
from django.http import Http404, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found

from portal.lib.problems import PROBLEM, problem_body

_request_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "portal_request_context", default=None
)


def current_request_context() -> dict:
    """The request id, IP and user of the request being served, or empty values outside a
    request. "user" is a callable: the request's user is read only when asked for."""
    return _request_context.get() or {"request_id": "", "ip": None, "user": _no_user}


def _no_user():
    return None


def request_context_enter(request_id: str) -> contextvars.Token:
    """Work done on behalf of a request outside it (a Celery task it queued, portal/logs.py):
    its log lines and audit events carry that request's id. No address, no user."""
    return _request_context.set({"request_id": request_id, "ip": None, "user": _no_user})


def request_context_exit(token: contextvars.Token) -> None:
    _request_context.reset(token)


def current_actor():
    """The signed-in user of the request being served, or None (anonymous, or outside a
    request: a command, a task). The actor of audit events recorded by signal receivers,
    which are not handed a user (docs/architecture.md §6)."""
    user = current_request_context().get("user", _no_user)()
    return user if user is not None and user.is_authenticated else None


def client_address(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind our TLS proxy (BEHIND_TLS_PROXY) the last
    X-Forwarded-For entry, the one the proxy itself appended. The audit trail and the sign-in
    lockout (django-axes' AXES_CLIENT_IP_CALLABLE) both count this one.

    Entries further left come from the client and can be forged, so they are never used. An
    entry that is not an address (a request that did not come through the proxy) is ignored
    too: the audit trail stores the address in an inet column.
    """
    if settings.PORTAL_CLIENT_IP_FROM_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        entries = [entry.strip() for entry in forwarded.split(",") if entry.strip()]
        if entries and (address := _address(entries[-1])):
            return address
    return _address(request.META.get("REMOTE_ADDR") or "")


def _address(text: str) -> str | None:
    """`text` as a plain IPv4 or IPv6 address (no zone), or None."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if getattr(address, "scope_id", None):
        return None
    return str(address)


_REQUEST_ID = re.compile(r"[-A-Za-z0-9._:+/=]{1,64}")


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The proxy's request id when it is a plain token (it is echoed in a response header
        # and stored in the audit trail), a fresh one otherwise.
        request_id = request.headers.get("X-Request-ID", "")
        if not _REQUEST_ID.fullmatch(request_id):
            request_id = uuid.uuid4().hex
        request.request_id = request_id  # for django.request's log line, written after us
        token = _request_context.set(
            {
                "request_id": request_id,
                "ip": client_address(request),
                # read lazily and through the request, so a sign-in or sign-out during the
                # request is seen (this middleware runs after authentication)
                "user": lambda: getattr(request, "user", None),
            }
        )
        try:
            response = self.get_response(request)
        finally:
            _request_context.reset(token)
        response["X-Request-ID"] = request_id
        return response


class VietnameseFirstLocaleMiddleware(LocaleMiddleware):
    """Vietnamese unless the user chose English with the language switch (its cookie).

    Django's LocaleMiddleware also follows the browser's Accept-Language, which would show a
    clerk whose browser came in English an English portal they never asked for.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class QueryStringGuardMiddleware:
    """A path with a NUL byte, or a query string with one, or oversized or too many values, is
    answered 400 (problem details under /api/, the Vietnamese error page elsewhere).

    PostgreSQL refuses NUL in text: a filter or picker handed one, or the audit trail of an API
    token's use (which records the path), would fail with a 500; an oversized value is never a
    real search. Checked before any view runs, and before CommonMiddleware would redirect
    `…%00` to `…%00/`.
    """

    MAX_LENGTH = 4096  # the whole query string, percent-encoded
    MAX_VALUE = 500  # one decoded key or value
    MAX_PARAMETERS = 100

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refusal = self.refusal(request)
        if refusal is not None:
            if request.path_info.startswith("/api/"):
                return self.problem(*refusal)

            return render(request, "400.html", status=400)
        return self.get_response(request)

    @staticmethod
    def problem(code: str, detail: str):
        """The API's answer: an RFC 9457 problem like every other API error (the page's 400 is
        HTML), found by schemathesis (tests/api/test_schema_findings.py)."""
        body = problem_body(status_code=400, code=code, detail=detail)
        return JsonResponse(
            body, status=400, content_type=PROBLEM, json_dumps_params={"ensure_ascii": False}
        )

    def refusal(self, request) -> tuple[str, str] | None:
        """(code, Vietnamese message) of what is wrong with the request's address, or None."""

        if "\x00" in request.path_info or "\x00" in request.path:
            return "invalid_path", _("Yêu cầu không hợp lệ: đường dẫn có ký tự NUL.")
        if self.refused(request):
            return "invalid_query", _(
                "Yêu cầu không hợp lệ: chuỗi truy vấn có ký tự NUL, quá dài hoặc quá nhiều tham số."
            )
        return None

    def refused(self, request) -> bool:
        raw = request.META.get("QUERY_STRING", "")
        if not raw:
            return False
        if len(raw) > self.MAX_LENGTH or "\x00" in raw:
            return True
        try:
            items = list(request.GET.lists())
        except Exception:  # TooManyFieldsSent and other parse failures  # noqa: BLE001
            return True
        count = 0
        for key, values in items:
            for text in (key, *values):
                count += 1
                if "\x00" in text or len(text) > self.MAX_VALUE or "\ufffd" in text:
                    return True
        return count > self.MAX_PARAMETERS


class DebugNotFoundPageMiddleware:
    """Under DEBUG (`make run`), a 404 is the portal's Vietnamese page, not Django's debug page.

    The demo is walked by clerks and testers, not only developers: Django's page says "Page not
    found" in English and lists every URL pattern. Outside DEBUG Django already renders
    templates/404.html, so this does nothing there. Outermost, so it also sees the 404 of an
    address that matches no URL (raised before any view runs).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and response.get("Content-Type", "").startswith("text/html")
        ):
            page = page_not_found(request, Http404())
            for header, value in response.items():  # CSP, security headers set further in
                if header.lower() not in ("content-type", "content-length"):
                    page[header] = value
            return page
        return response
