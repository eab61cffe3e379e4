"""The page "Giám sát hoạt động ký số" (docs/architecture.md §13): the signing-activity
monitor of the user's scope, narrowed to an organisation they may see and to a month."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from agencies.models import Organization
from dashboard import monitor, statistics


@login_required
@require_GET
def signing_monitor_page(request):
    """The figures of the month (`?thang=YYYY-MM`, one of the last twelve) for the user's
    scope, narrowed to `?don_vi=<id>`; an organisation outside the scope is 404."""
    if not statistics.may_see_statistics(request.user):
        raise PermissionDenied
    chosen = None
    chosen_id = request.GET.get("don_vi", "")
    if chosen_id:
        if not chosen_id.isdigit():
            raise Http404
        chosen = Organization.objects.visible_to(request.user).filter(pk=int(chosen_id)).first()
        if chosen is None:
            raise Http404
    today = timezone.localdate()
    month = monitor.parse_month(request.GET.get("thang"), today)
    narrowed = statistics.narrowing(request.user, None)
    figures = monitor.build(request.user, chosen, month)
    return render(
        request,
        "dashboard/signing_monitor.html",
        {
            "m": figures,
            "tables": [figures.by_agency, figures.trend],
            "choices": narrowed.choices,
            "choices_label": narrowed.label,
            "chosen_id": chosen.pk if chosen else None,
            "months": monitor.month_choices(today),
            "month_value": f"{month.first_day:%Y-%m}",
            "idle_days": monitor.IDLE_DAYS,
        },
    )
