"""Django's handler500 (config/urls.py): a database that does not answer is a 503 with
`Retry-After`, anything else the 500 page (docs/operations.md §5); and its handler400, which
says when the body was what could not be read (docs/security.md §6).

When PostgreSQL (or PgBouncer in front of it) is down, restarting or refusing connections, a
request fails wherever it first needs a row (the session, the token, the view). That is not a
fault of the request and it is over in a while: the answer says so, 503 and `Retry-After`,
as an RFC 9457 problem under /api/ and the portal's Vietnamese page elsewhere. Neither looks
anything up: the page is rendered without the request (no user, no session, no menu), in the
language the locale middleware chose from the cookie. The health endpoints answer on their own
(config/health.py) and never come here.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.template import loader
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.defaults import server_error as page_server_error

from portal.lib.problems import PROBLEM, problem_body

# What the answer asks a client to wait: a restart or a failover of PostgreSQL takes seconds to
# a minute (docs/deployment.md, "Health").
RETRY_AFTER_SECONDS = 30
# SQLSTATE classes of "the server is not there": 08 connection exception (PgBouncer's refusals
# too), 57P operator intervention (shutdown, starting up, database dropped).
_UNAVAILABLE_STATES = ("08", "57P")


def database_unavailable(exc: BaseException | None) -> bool:
    """The request failed because the database could not be reached or dropped the connection
    (not because a query was wrong): Django's InterfaceError, or an OperationalError with no
    SQLSTATE (the client could not connect) or one of the classes above. A statement timeout
    or a deadlock (other OperationalErrors) stays a 500."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, InterfaceError):
            return True
        if isinstance(exc, OperationalError):
            state = getattr(exc.__cause__, "sqlstate", None)
            return state is None or state.startswith(_UNAVAILABLE_STATES)
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def server_error(request, *args, **kwargs):
    exc = sys.exc_info()[1]  # handler500 is called while Django handles the exception
    if database_unavailable(exc):
        response = _unavailable(request)
    elif request.path_info.startswith("/api/"):
        response = _problem(500, "server_error", _("Lỗi hệ thống, hãy thử lại sau ít phút."))
    else:
        return page_server_error(request, *args, **kwargs)
    add_never_cache_headers(response)
    return response


def _unavailable(request) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        response = _problem(
            503,
            "database_unavailable",
            _(
                "Cơ sở dữ liệu tạm thời không trả lời; yêu cầu chưa được thực hiện. Hãy thử lại sau."
            ),
        )
    else:
        page = loader.render_to_string(
            "503.html", {"retry_after": RETRY_AFTER_SECONDS, "back": request.path}
        )
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _problem(status_code: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse(
        problem_body(status_code=status_code, code=code, detail=detail),
        status=status_code,
        content_type=PROBLEM,
        json_dumps_params={"ensure_ascii": False},
    )


def bad_request(request, exception=None):
    """Django's 400 (a SuspiciousOperation, or a multipart body its parser refuses, e.g. one
    without its boundary, read by the CSRF check before any view): a problem under /api/, else
    the 400 page, which then says the body could not be read rather than the address. Rendered
    without the request, as Django's own handler does."""
    unreadable_body = isinstance(exception, MultiPartParserError)
    if request.path_info.startswith("/api/"):
        if unreadable_body:
            detail = _("Nội dung gửi lên không đọc được (JSON hoặc biểu mẫu sai cú pháp).")
            return _problem(400, "parse_error", detail)
        return _problem(400, "bad_request", _("Yêu cầu không hợp lệ"))
    page = loader.render_to_string("400.html", {"unreadable_body": unreadable_body})
    return HttpResponseBadRequest(page)
