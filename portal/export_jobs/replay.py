"""The list view, run again in the worker for the job's owner (docs/scale.md §12.5).

An export job keeps what the click asked for (the page's path and query string), not a
queryset: the worker resolves the path and calls the very view that answered the click, as
the owner, with the job's `Build` on the request. The view filters with its own FilterSet and
scopes with `visible_to(owner)` as they are now (a right lost since the click raises 403 or
404 and the job fails), and its export branch hands the rows to `export_list`, which writes
them into the job's file instead of answering (`service.export_answer`). So the export is
always exactly the list page, with no second description of any list to keep in step.

Only what the list views read is set on the request: method, path, GET, user, the htmx
details (none) and the resolver match; no middleware runs (sessions, CSRF, the second factor
belong to the click, which already passed them).
"""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, QueryDict
from django.urls import resolve
from django_htmx.middleware import HtmxDetails


def replay_list(job, build):
    """Call the list view of `job.path` with the job's query string, as its owner."""
    if not job.owner.is_active:  # a deactivated account exports nothing any more
        raise PermissionDenied
    match = resolve(job.path)
    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = job.path
    request.GET = QueryDict(job.query)
    request.META = {
        "REQUEST_METHOD": "GET",
        "QUERY_STRING": job.query,
        "PATH_INFO": job.path,
        "HTTP_ACCEPT_LANGUAGE": job.language,
    }
    request.user = job.owner
    request.resolver_match = match
    request.htmx = HtmxDetails(request)
    request.export_build = build
    return match.func(request, *match.args, **match.kwargs)
