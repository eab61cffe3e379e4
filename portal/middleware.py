"""Carries the request id and client address to the audit trail without passing them around."""

import contextvars
import uuid

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
