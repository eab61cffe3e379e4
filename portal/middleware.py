"""Request-wide context: the request id and client address for the audit trail, and the
language (Vietnamese unless the user chose English)."""

import contextvars
import uuid

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

_request_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "portal_request_context", default=None
)


def current_request_context() -> dict:
    """The request id and IP of the request being served, or empty values outside a request."""
    return _request_context.get() or {"request_id": "", "ip": None}


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex
        token = _request_context.set(
            {"request_id": request_id, "ip": request.META.get("REMOTE_ADDR") or None}
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
    """Answer 400 (a page in Vietnamese) to a query string the portal can never serve: a NUL
    byte (PostgreSQL refuses it in any text) or a value longer than PORTAL_MAX_QUERY_VALUE
    characters. Without this, such a search reaches the database and becomes a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.PORTAL_MAX_QUERY_VALUE
        for key, values in request.GET.lists():
            for text in (key, *values):
                if "\x00" in text or len(text) > limit:
                    return _bad_request(request)
        return self.get_response(request)


def _bad_request(request):
    from django.shortcuts import render

    return render(request, "400.html", status=400)
