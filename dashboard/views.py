from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dashboard import counts, statistics
from dashboard.report_views import may_read_reports
from portal.lib.exports import export_list, wants_export
from portal.replica import replica_reads


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
    tables = statistics.figures(request.user, narrowed.chosen)
    if wants_export(request):
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
    return render(
        request,
        "dashboard/statistics.html",
        {
            "tables": tables,
            "narrowed": narrowed,
            "chosen_id": narrowed.chosen and narrowed.chosen.pk,
            # The provincial officer's monthly report (docs/statistics.md §10); the CA and
            # administrators read the reports from the same page.
            "monthly_reports": may_read_reports(request.user),
        },
    )
