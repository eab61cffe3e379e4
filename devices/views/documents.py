"""The documents of a device's life: the handover page and its Mẫu 07 notices, the return
obligations and their Mẫu 08 minutes, the Mẫu 09 loss minutes. Each document has a page (its
facts and actions, with the document itself) and a printable view of the same template."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agencies.models import Organization
from devices import documents, services
from devices.choices import DeviceStatus
from devices.exports import export_obligations
from devices.extensions import document_panels
from devices.filters_documents import (
    ObligationFilterSet,
)
from devices.forms import HandoverForm, MinutesForm
from devices.lifecycle import MOVES
from devices.models import (
    Device,
    HandoverNotice,
    LossReport,
    ReturnMinutes,
    ReturnObligation,
)
from devices.permissions import clerk_agencies
from devices.views.common import outgoing, require_staff
from portal.errors import DomainError
from portal.lib.exports import export_query, wants_export
from portal.lib.headers import frameable_by_the_portal
from portal.lib.paging import Jump, keyset_paginate


def _clerk_agency(request) -> Organization:
    """The agency a clerk acts for: `?co_quan=<id>` among theirs, else their first."""
    paths = clerk_agencies(request.user)
    if not paths:
        raise PermissionDenied
    agencies = list(Organization.objects.filter(path__in=paths).order_by("name"))
    wanted = request.GET.get("co_quan") or request.POST.get("co_quan")
    for agency in agencies:
        if str(agency.pk) == wanted:
            return agency
    return agencies[0]


def _agency_devices(agency, *statuses):
    return (
        Device.objects.within(agency.path)
        .filter(status__in=statuses)
        .select_related("holder")
        .with_certificate()
        .order_by("holder__full_name", "serial", "pk")
    )


# --- Mẫu 07 ---------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def handover(request):
    """The clerk hands devices to their subscribers and sends the Mẫu 07 notice at once."""
    agency = _clerk_agency(request)
    # The `hand_over` move's sources (devices/lifecycle.py): never a device collected back.
    candidates = list(_agency_devices(agency, *MOVES["hand_over"].sources))
    form = HandoverForm(request.POST or None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        chosen = {int(pk) for pk in form.cleaned_data["devices"]}
        try:
            notice = services.handover_notice_create(
                agency=agency,
                devices=[d for d in candidates if d.pk in chosen],
                acknowledged={int(pk) for pk in form.cleaned_data["acknowledged"]},
                handed_on=form.cleaned_data["handed_on"],
                by=request.user,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _(
                    "Đã ghi nhận bàn giao %(n)d thiết bị và lập thông báo Mẫu 07 số %(number)s; "
                    "thông báo được gửi Cục Chứng thực số và Bảo mật thông tin khi lãnh đạo "
                    "cơ quan ký số."
                )
                % {"n": len(chosen), "number": notice.number},
            )
            return redirect("devices:notice_detail", pk=notice.pk)
    return render(
        request,
        "devices/handover.html",
        {
            "agency": agency,
            "form": form,
            "candidates": candidates,
            "chosen": set(form["devices"].value() or []),
            "signed": set(form["acknowledged"].value() or []),
            "other_agencies": len(clerk_agencies(request.user)) > 1,
        },
    )


def visible_notice(request, pk: int) -> HandoverNotice:
    return get_object_or_404(
        outgoing(HandoverNotice.objects.visible_to(request.user), request.user).select_related(
            "agency", "agency__parent", "agency__province", "created_by"
        ),
        pk=pk,
    )


def _notice_context(notice) -> dict:
    items = list(notice.items.select_related("device").order_by("position"))
    return documents.notice_document(notice, items)


# --- document pages and printable views ------------------------------------------------------


@login_required
@require_GET
def notice_detail(request, pk: int):
    notice = visible_notice(request, pk)
    context = _notice_context(notice)
    return render(
        request,
        "devices/document_detail.html",
        {
            **context,
            "document_template": documents.MAU_07,
            "title": str(notice),
            "print_url_name": "devices:notice_print",
            "pdf_url_name": "devices:notice_pdf",
            "obj": notice,
            "kind": "notice",
            "panels": document_panels(request, notice, "notice"),
            "mails": _mails(request, notice, "notice"),
        },
    )


@login_required
@require_GET
@frameable_by_the_portal
def notice_print(request, pk: int):
    notice = visible_notice(request, pk)
    return _print(request, documents.MAU_07, _notice_context(notice), str(notice))


def _print(request, template: str, context: dict, title: str):
    return render(
        request,
        "devices/pdf/print.html",
        {**context, "document_template": template, "title": title},
    )


def visible_minutes(request, pk: int) -> ReturnMinutes:
    return get_object_or_404(
        outgoing(ReturnMinutes.objects.visible_to(request.user), request.user).select_related(
            "agency",
            "agency__parent",
            "agency__province",
            "receiver",
            "created_by",
            "confirmed_by",
        ),
        pk=pk,
    )


def _minutes_context(minutes) -> dict:
    items = list(minutes.items.select_related("device").order_by("position"))
    return documents.minutes_document(minutes, items)


@login_required
@require_GET
def minutes_detail(request, pk: int):
    minutes = visible_minutes(request, pk)
    return render(
        request,
        "devices/document_detail.html",
        {
            **_minutes_context(minutes),
            "document_template": documents.MAU_08,
            "title": str(minutes),
            "print_url_name": "devices:minutes_print",
            "pdf_url_name": "devices:minutes_pdf",
            "obj": minutes,
            "kind": "minutes",
            "panels": document_panels(request, minutes, "minutes"),
            "mails": _mails(request, minutes, "minutes"),
        },
    )


@login_required
@require_GET
@frameable_by_the_portal
def minutes_print(request, pk: int):
    minutes = visible_minutes(request, pk)
    return _print(request, documents.MAU_08, _minutes_context(minutes), str(minutes))


def visible_loss(request, pk: int) -> LossReport:
    return get_object_or_404(
        outgoing(LossReport.objects.visible_to(request.user), request.user).select_related(
            "agency", "agency__parent", "agency__province", "device", "created_by"
        ),
        pk=pk,
    )


@login_required
@require_GET
def loss_detail(request, pk: int):
    report = visible_loss(request, pk)
    return render(
        request,
        "devices/document_detail.html",
        {
            **documents.loss_document(report),
            "document_template": documents.MAU_09,
            "title": str(report),
            "print_url_name": "devices:loss_print",
            "pdf_url_name": "devices:loss_pdf",
            "obj": report,
            "kind": "loss",
            "revocation_request_id": report.revocation_request_id,
            "panels": document_panels(request, report, "loss"),
            "mails": _mails(request, report, "loss"),
        },
    )


@login_required
@require_GET
@frameable_by_the_portal
def loss_print(request, pk: int):
    report = visible_loss(request, pk)
    return _print(request, documents.MAU_09, documents.loss_document(report), str(report))


# --- returns and Mẫu 08 ------------------------------------------------------------------------
@login_required
@require_GET
def returns(request):
    """Return obligations: what the agency must hand back and by when (overdue first)."""
    require_staff(request.user)
    base = ReturnObligation.objects.visible_to(request.user).select_related(
        "device", "agency", "agency__province", "person", "minutes"
    )
    filterset = ObligationFilterSet(request.GET or None, queryset=base, request=request)
    rows = filterset.qs.order_by(*_obligation_order(filterset))
    if wants_export(request):
        return export_obligations(rows, request=request)
    context = {
        "filter": filterset,
        "export_query": export_query(request),
        "today": timezone.localdate(),
        "is_clerk": bool(clerk_agencies(request.user)),
        **keyset_paginate(request, rows, jump=Jump("due_on", _("Hạn từ ngày"))),
    }
    context["obligations"] = context["page"].object_list
    if request.htmx:
        return render(request, "devices/partials/_obligation_table.html", context)
    return render(request, "devices/returns.html", context)


def _obligation_order(filterset) -> tuple:
    """Soonest deadline first. Open obligations (the default filter) are walked on the partial
    index return_open_due_idx (due_on, id); with closed ones shown too, the open come first,
    then the most recently closed (return_list_idx) — docs/scale.md §12.2."""
    state = filterset.form.cleaned_data.get("state") if filterset.is_valid() else "open"
    if state in ("open", "overdue", "handed"):
        return ("due_on", "pk")
    return (F("closed_at").desc(nulls_first=True), "due_on", "pk")


@login_required
@require_http_methods(["GET", "POST"])
def minutes_create(request):
    agency = _clerk_agency(request)
    open_obligations = ReturnObligation.objects.open().filter(minutes__isnull=True)
    candidates = list(
        _agency_devices(
            agency, DeviceStatus.AWAITING_RETURN, DeviceStatus.RETURNED_TO_AGENCY
        ).filter(return_obligations__in=open_obligations)
    )
    due = dict(
        open_obligations.filter(device__in=[d.pk for d in candidates]).values_list(
            "device_id", "due_on"
        )
    )
    for device in candidates:
        device.return_due_on = due.get(device.pk)
    form = MinutesForm(
        request.POST or None,
        candidates=candidates,
        initial={
            "held_on": timezone.localdate(),
            "held_time": timezone.localtime().time().replace(second=0, microsecond=0),
            "receiver_kind": "ca",
            "place": agency.address or agency.name,
        },
    )
    if request.method == "POST" and form.is_valid():
        chosen = {int(pk) for pk in form.cleaned_data["devices"]}
        data = form.cleaned_data
        try:
            minutes = services.return_minutes_create(
                agency=agency,
                devices=[d for d in candidates if d.pk in chosen],
                held_at=form.held_at(),
                place=data["place"],
                receiver_kind=data["receiver_kind"],
                agency_representative=data["agency_representative"],
                agency_representative_title=data["agency_representative_title"],
                receiver_representative=data["receiver_representative"],
                receiver_representative_title=data["receiver_representative_title"],
                conditions=form.conditions(),
                by=request.user,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Đã lập biên bản Mẫu 08 số %(number)s: %(n)d thiết bị chờ bên nhận xác nhận.")
                % {"number": minutes.number, "n": len(chosen)},
            )
            return redirect("devices:minutes_detail", pk=minutes.pk)
    rows = [(device, form.condition_field(device)) for device in candidates]
    return render(
        request,
        "devices/minutes_form.html",
        {
            "agency": agency,
            "form": form,
            "rows": rows,
            "chosen": set(form["devices"].value() or []),
            "today": timezone.localdate(),
        },
    )


# --- the documents' e-mails to their receiving side (docs/mail.md) -------------------------------
VISIBLE = {"notice": visible_notice, "minutes": visible_minutes, "loss": visible_loss}


def _mails(request, document, kind: str) -> list:
    """The document's e-mails, with their "Gửi lại" address for whoever may resend: none
    before it is sent (no query)."""
    if document.sent_at is None:
        return []
    mails = list(services.device_document_mails(document))
    if not services.may_resend_device_mail(request.user, document):
        return mails
    for mail in mails:
        mail.resend_url = reverse(f"devices:{kind}_mail_resend", args=[document.pk, mail.pk])
    return mails


@login_required
@require_POST
def document_mail_resend(request, pk: int, mail_pk: int, kind: str):
    document = VISIBLE[kind](request, pk)
    if services.device_document_mail_resend(document=document, mail_id=mail_pk, by=request.user):
        messages.success(request, _("Đã đưa thư vào hàng đợi gửi lại."))
    else:
        messages.info(request, _("Thư đang chờ gửi: không cần gửi lại."))
    return redirect(f"devices:{kind}_detail", pk=document.pk)
