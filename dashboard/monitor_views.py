"""The page "Giám sát hoạt động ký số" (docs/architecture.md §13): the signing-activity
monitor of the user's scope, narrowed to an organisation they may see and to a month.

The figures change only when the worker writes its rollups, idle list or alerts, so their
rendered HTML is kept per scope, organisation, month and language, and stamped with
those writes (`monitor.stamps`): a page after a new rollup is built again, a page between
two rollups costs three small queries. Organisation names in a kept page may lag a rename
by BODY_SECONDS."""

import hashlib

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.views.decorators.http import require_GET

from agencies.access import scope_for
from agencies.models import Organization
from dashboard import monitor, statistics
from portal.replica import replica_reads

BODY_SECONDS = 600


def _body_key(user, chosen, month, stamps) -> str:
    """Everything the figures depend on: what the user may see (a change of membership
    changes it; the statistics and the dashboard's counts share figures the same way), the
    organisation, the month, the language and the worker's writes."""
    parts = (chosen.pk if chosen else None, month.first_day, translation.get_language(), stamps)
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    return f"signing-monitor:v1:{scope_for(user).cache_key}:{digest}"


def _body(request, chosen, month, stamps) -> str:
    key = _body_key(request.user, chosen, month, stamps)
    body = cache.get(key)
    if body is None:
        figures = monitor.build(request.user, chosen, month)
        body = render_to_string(
            "dashboard/partials/_monitor_body.html",
            {
                "m": figures,
                "tables": [figures.by_agency, figures.trend],
                "idle_days": monitor.IDLE_DAYS,
            },
            request=request,
        )
        cache.set(key, body, BODY_SECONDS)
    return body


@login_required
@require_GET
@replica_reads
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
    stamps = monitor.stamps(month)
    return render(
        request,
        "dashboard/signing_monitor.html",
        {
            "body": _body(request, chosen, month, stamps),
            "chosen": chosen,
            "month": month,
            "computed_at": stamps.computed_at,
            "choices": narrowed.choices,
            "choices_label": narrowed.label,
            "chosen_id": chosen.pk if chosen else None,
            "months": monitor.month_choices(today),
            "month_value": f"{month.first_day:%Y-%m}",
        },
    )
