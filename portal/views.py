"""The notification centre's pages: a user's notifications, newest unread first, and
marking them read. The ground floor serves them, since every app notifies through
`portal.notifications`."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.filters import NotificationFilterSet
from portal.forms import NotificationPreferenceForm
from portal.lib.paging import paginate
from portal.models import Notification, NotificationPreference
from portal.notifications import (
    notification_mark_read,
    notification_preference_set,
    unread_count,
)


@login_required
@require_GET
def notification_list(request):
    """Newest unread first; closed ones (their reason passed) after the unread."""
    mine = Notification.objects.filter(user=request.user)
    filters = NotificationFilterSet(request.GET or None, queryset=mine)
    ordered = filters.qs.order_by(
        F("closed_at").asc(nulls_first=True),
        F("read_at").asc(nulls_first=True),
        "-created_at",
        "-pk",
    )
    paging = paginate(request, ordered)
    return render(
        request,
        "portal/notifications.html",
        {
            **paging,
            "filters": filters,
            "notifications": paging["page"].object_list,
            "unread": unread_count(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request):
    """The user's own choices: an e-mail per notification, a daily digest."""
    current = NotificationPreference.objects.filter(user=request.user).first()
    form = NotificationPreferenceForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        notification_preference_set(user=request.user, **form.cleaned_data)
        messages.success(request, _("Đã lưu tùy chọn thông báo."))
        return redirect("portal:notification_preferences")
    return render(request, "portal/notification_preferences.html", {"form": form})


@login_required
@require_POST
def notification_read(request, pk: int | None = None):
    """Mark one notification read (and follow its link), or all of them."""
    if pk is None:
        count = notification_mark_read(user=request.user)
        messages.success(request, _("Đã đánh dấu %(n)d thông báo là đã đọc.") % {"n": count})
        return redirect("portal:notifications")
    notification = get_object_or_404(Notification.objects.filter(user=request.user), pk=pk)
    notification_mark_read(user=request.user, notification_id=notification.pk)
    if request.POST.get("open") and url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts={request.get_host()}
    ):
        return redirect(notification.url)
    if request.htmx:
        return HttpResponse(status=204, headers={"HX-Refresh": "true"})
    return redirect("portal:notifications")
