"""The lists of a device's documents — Mẫu 07 notices, Mẫu 08 minutes, Mẫu 09 loss minutes —
one view over a table of specs, paged by cursor (docs/scale.md §12.2)."""

from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from devices.exports import export_documents
from devices.filters_documents import (
    LossReportFilterSet,
    MinutesFilterSet,
    NoticeFilterSet,
)
from devices.models import (
    HandoverItem,
    HandoverNotice,
    LossReport,
    ReturnMinutes,
    ReturnMinutesItem,
)
from devices.permissions import clerk_agencies, is_ca
from devices.views.common import outgoing, require_staff
from portal.lib.exports import export_query, wants_export
from portal.lib.paging import Jump, keyset_paginate
from portal.lib.subqueries import count_of

# Each ordering ends with the primary key and has its index (docs/scale.md §12.2):
# handover_list_idx, minutes_list_idx, loss_list_idx, return_list_idx.
LISTS = {
    "notices": {
        "title": gettext_lazy("Thông báo bàn giao thiết bị cho thuê bao (Mẫu 07)"),
        "title_ca": gettext_lazy("Thông báo Mẫu 07 đã nhận từ các cơ quan"),
        "filterset": NoticeFilterSet,
        "queryset": lambda user: (
            outgoing(HandoverNotice.objects.visible_to(user), user)
            .annotate(device_count=count_of(HandoverItem.objects.all(), "notice"))
            # Not yet sent first (NULLs first, on every backend), then the newest sent.
            .order_by(F("sent_at").desc(nulls_first=True), "-pk")
        ),
        "jump": Jump("sent_at", gettext_lazy("Gửi đến ngày")),
        "template": "devices/document_list.html",
    },
    "minutes": {
        "title": gettext_lazy("Biên bản giao nhận thiết bị (Mẫu 08)"),
        "title_ca": gettext_lazy("Biên bản Mẫu 08 gửi CA và các điểm tiếp nhận"),
        "filterset": MinutesFilterSet,
        "queryset": lambda user: (
            outgoing(ReturnMinutes.objects.visible_to(user), user)
            .annotate(device_count=count_of(ReturnMinutesItem.objects.all(), "minutes"))
            # Waiting for the receiver first (NULLs first, on every backend), then the most
            # recently confirmed.
            .order_by(F("confirmed_at").desc(nulls_first=True), "-held_at", "-pk")
        ),
        "jump": None,
        "template": "devices/document_list.html",
    },
    "losses": {
        "title": gettext_lazy("Biên bản xác nhận thất lạc thiết bị (Mẫu 09)"),
        "title_ca": gettext_lazy("Biên bản Mẫu 09 đã nhận từ các cơ quan"),
        "filterset": LossReportFilterSet,
        "queryset": lambda user: (
            outgoing(LossReport.objects.visible_to(user), user)
            .select_related("device")
            .order_by("-held_at", "-pk")
        ),
        "jump": Jump("held_at", gettext_lazy("Lập đến ngày")),
        "template": "devices/document_list.html",
    },
}


def _document_list(request, kind: str):
    require_staff(request.user)
    spec = LISTS[kind]
    base = spec["queryset"](request.user).select_related("agency", "agency__province")
    filterset = spec["filterset"](request.GET or None, queryset=base, request=request)
    title = spec["title_ca"] if is_ca(request.user) else spec["title"]
    if wants_export(request):
        return export_documents(filterset.qs, kind=kind, title=title, request=request)
    context = {
        "title": title,
        "filter": filterset,
        "export_query": export_query(request),
        "kind": kind,
        "is_clerk": bool(clerk_agencies(request.user)),
        **keyset_paginate(request, filterset.qs, jump=spec["jump"]),
    }
    context["documents"] = context["page"].object_list
    if request.htmx:
        return render(request, "devices/partials/_document_table.html", context)
    return render(request, spec["template"], context)


@login_required
@require_GET
def notice_list(request):
    return _document_list(request, "notices")


@login_required
@require_GET
def minutes_list(request):
    return _document_list(request, "minutes")


@login_required
@require_GET
def loss_list(request):
    return _document_list(request, "losses")
