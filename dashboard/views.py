from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.views.decorators.http import require_GET

from agencies.access import scope_for
from agencies.models import Organization
from dashboard import counts, statistics
from dashboard.report_views import may_read_reports
from portal.lib.exports import export_list, wants_export
from portal.replica import replica_reads

# The statistics page's tables, rendered, are kept this long (a minute: the figures under them
# are recomputed every statistics.CACHE_SECONDS).
BODY_SECONDS = 60


@login_required
@replica_reads
def dashboard(request):
    """The landing page: the counts the user's role cares about, within their scope."""
    return render(request, "dashboard/dashboard.html", counts.build(request.user))


@login_required
@require_GET
@replica_reads
def statistics_page(request):
    """The statistics of the user's scope (docs/statistics.md §10), narrowed to a province
    (the CA) or an agency (a province); `?xuat=xlsx&bang=<key>` exports one table."""
    if not statistics.may_see_statistics(request.user):
        raise PermissionDenied
    narrowed = statistics.narrowing(request.user, request.GET.get("don_vi"))
    if wants_export(request):
        tables = statistics.figures(request.user, narrowed.chosen)
        table = next((t for t in tables if t.key == request.GET.get("bang")), None)
        if table is None:
            raise Http404
        return export_list(
            filename=f"thong-ke-{table.key}",
            title=table.title,
            headers=table.headers,
            rows=table.rows,
            line=list,
        )
    chosen_id = narrowed.chosen and narrowed.chosen.pk
    return render(
        request,
        "dashboard/statistics.html",
        {
            "body": _statistics_body(request, narrowed.chosen),
            "narrowed": narrowed,
            "chosen_id": chosen_id,
            # The provincial officer's monthly report (docs/statistics.md §10); the CA and
            # administrators read the reports from the same page.
            "monthly_reports": may_read_reports(request.user),
        },
    )


def _statistics_body(request, chosen: Organization | None) -> str:
    """The page's tables as HTML, kept BODY_SECONDS per scope, organisation and language: a
    province's page holds some 1,800 figures in 350 kB, whose rendering cost more than
    everything else the page does (docs/scale.md §12.7). The figures under it are kept
    statistics.CACHE_SECONDS, so a page is at most that plus BODY_SECONDS old."""
    scope = scope_for(request.user)
    chosen_id = chosen and chosen.pk
    key = f"stats-body:v1:{scope.cache_key}:{chosen_id or '-'}:{translation.get_language()}"
    body = cache.get(key)
    if body is None:
        body = render_to_string(
            "dashboard/partials/_stats_body.html",
            {"tables": statistics.figures(request.user, chosen), "chosen_id": chosen_id},
            request=request,
        )
        cache.set(key, body, BODY_SECONDS)
    return body
