"""Inventories (what the user sees; one agency; one province; the CA's stock), their Excel
export (`?xuat=xlsx`, the same filters and scope), and a device's page with its custody chain."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from agencies.access import scope_for
from agencies.choices import OrgKind, Role
from agencies.models import Organization
from devices.choices import CredentialState, DeviceKind, TokenState
from devices.exports import PHONE, export_inventory, inventory_full_export
from devices.filters import AGENCY_KINDS, DeviceFilterSet
from devices.lifecycle import MOVES
from devices.models import Device, DeviceToken, RemoteCredential, ReturnObligation
from devices.permissions import device_actions, is_ca
from devices.services import DEMO_PIN
from devices.views.common import STAFF_ROLES, require_staff, visible_device
from portal.lib.exports import export_query, wants_export
from portal.lib.paging import Jump, keyset_paginate
from portal.replica import replica_reads
from privacy.disclosure import Disclosure, full_export_page


def _filtered(request, *, base, fixed: tuple = ()):
    filterset = DeviceFilterSet(request.GET or None, queryset=base, request=request, fixed=fixed)
    devices = (
        filterset.qs.select_related("agency", "agency__province", "holder")
        .with_certificate()
        .with_return_due()
        # (kind, serial) is unique (device_serial_unique, its index gives the order): the
        # pager needs no tiebreaker, and the certificate and return-due subqueries run for the
        # page's rows only (docs/scale.md §12.2).
        .order_by("kind", "serial")
    )
    return filterset, devices


def _inventory(request, *, base, title: str, lead: str, fixed: tuple = (), extra=None):
    filterset, devices = _filtered(request, base=base, fixed=fixed)
    if wants_export(request):
        return export_inventory(devices, title=title, request=request)
    pages = keyset_paginate(request, devices, jump=Jump("serial", _("Đến số hiệu"), "text"))
    scope = scope_for(request.user)
    context = {
        "link_agencies": scope.has_role(*STAFF_ROLES),
        "link_provinces": scope.sees_everything or bool(scope.province_ids),
        "title": title,
        "lead": lead,
        "filter": filterset,
        "devices": pages["page"].object_list,
        "export_query": export_query(request),
        "today": timezone.localdate(),
        **pages,
        **(extra or {}),
    }
    if request.htmx:
        return render(request, "devices/partials/_device_table.html", context)
    return render(request, "devices/device_list.html", context)


@login_required
@require_GET
@replica_reads
def device_list(request):
    """Every device the user can see: a clerk their agency's, an officer their province's,
    the CA all, a subscriber their own."""
    scope = scope_for(request.user)
    return _inventory(
        request,
        base=Device.objects.visible_to(request.user),
        title=_("Thiết bị lưu khóa bí mật"),
        lead=_("Thiết bị trong phạm vi bạn được xem, với trạng thái và hạn bàn giao lại."),
        # "Thao tác hàng loạt" carries the filter to the bulk page (docs/bulk.md,
        # "Registers"): the return reminder is the provincial officer's and the CA operator's.
        extra={"may_bulk": scope.is_ca or Role.PROVINCIAL_OFFICER in scope.roles},
    )


@login_required
@require_http_methods(["GET", "POST"])
def device_export_full(request):
    """The device list (its filters in the query string) as Excel with the SIMs' full phone
    numbers: a reason, the right to see them, at most PORTAL_EXPORT_INLINE_MAX_ROWS devices
    written in this request, one access recorded with the file (docs/privacy.md, "Exports,
    API and documents")."""
    title = _("Thiết bị lưu khóa bí mật")
    _filterset, devices = _filtered(request, base=Device.objects.visible_to(request.user))
    limit = settings.PORTAL_EXPORT_INLINE_MAX_ROWS

    def refuse():
        if devices.order_by().values("pk")[: limit + 1].count() > limit:
            return _(
                "Danh sách có hơn %(max)d thiết bị: tệp có giá trị đầy đủ chỉ xuất tối đa "
                "%(max)d dòng. Hãy lọc bớt danh sách rồi xuất lại."
            ) % {"max": limit}
        return None

    def build(disclosure: Disclosure):
        response, subjects = inventory_full_export(devices, title=title, disclosure=disclosure)
        return response, subjects, None

    query = request.GET.urlencode()
    return full_export_page(
        request,
        keys=[PHONE],
        title=title,
        back_url=reverse("devices:list") + (f"?{query}" if query else ""),
        build=build,
        refuse=refuse,
    )


@login_required
@require_GET
def agency_inventory(request, pk: int):
    agency = get_object_or_404(
        Organization.objects.visible_to(request.user).filter(kind__in=AGENCY_KINDS), pk=pk
    )
    require_staff(request.user)
    return _inventory(
        request,
        base=Device.objects.visible_to(request.user).within(agency.path),
        title=_("Thiết bị của %(agency)s") % {"agency": agency.name},
        lead=_("Thiết bị do cơ quan và các đơn vị trực thuộc quản lý."),
        fixed=("agency", "province"),
        extra={"scope_org": agency},
    )


@login_required
@require_GET
def province_inventory(request, pk: int):
    province = get_object_or_404(
        Organization.objects.visible_to(request.user).filter(kind=OrgKind.PROVINCE), pk=pk
    )
    require_staff(request.user)
    return _inventory(
        request,
        base=Device.objects.visible_to(request.user).filter(agency__province=province),
        title=_("Thiết bị tại %(province)s") % {"province": province.name},
        lead=_("Thiết bị của các cơ quan trong tỉnh, thành phố."),
        fixed=("province",),
        extra={"scope_org": province},
    )


@login_required
@require_GET
def ca_stock(request):
    if not (is_ca(request.user) or scope_for(request.user).is_admin):
        raise PermissionDenied
    return _inventory(
        request,
        base=Device.objects.visible_to(request.user).in_stock(),
        title=_("Kho thiết bị của CA"),
        lead=_("Thiết bị chưa giao cho cơ quan nào; cấp chứng thư trên USB Token lấy từ kho."),
        fixed=("status", "agency", "province", "overdue_return"),
        extra={"is_stock": True, "can_import": is_ca(request.user)},
    )


@login_required
@require_GET
def device_detail(request, pk: int):
    device = visible_device(request, pk)
    user = request.user
    custody = list(
        device.custody.select_related("agency", "person", "handed_by").order_by("held_from", "pk")
    )
    obligations = list(
        ReturnObligation.objects.visible_to(user)
        .filter(device=device)
        .select_related("minutes")
        .order_by("-opened_at", "-pk")
    )
    # Certificates and letters are upper floors: read through the reverse relations their
    # models declare on Device, never by importing them (docs/architecture.md §1); each
    # certificate says whether its key is at risk (a lost device, docs/domain.md §3.8).
    certificates = list(
        device.certificates.visible_to(user)
        .only("serial", "common_name", "status", "not_before", "not_after", "device_id")
        .with_key_at_risk()
        .order_by("-not_before", "-pk")
    )
    letters = list(
        device.request_rows.visible_to(user)
        .select_related("cert_request")
        .order_by("-cert_request__created_at")[:10]
    )
    token = DeviceToken.objects.filter(device=device).first()
    actions = device_actions(user, device)
    credential = (
        RemoteCredential.objects.filter(device=device).first()
        if device.kind == DeviceKind.RSSP
        else None
    )
    # The holder's sole control is an upper floor's (remote_signing): read through the reverse
    # relation it declares on the credential.
    control = getattr(credential, "control", None) if credential is not None else None
    context = {
        "credential": credential,
        "control": control,
        # The CA hands a new code for the first activation, a lost code, or after a Mẫu 06
        # reopened a locked credential: only while it awaits activation (the upper floor's
        # ControlState.AWAITING_ACTIVATION), never while it signs or is locked.
        "can_issue_activation_code": bool(
            credential is not None
            and credential.state == CredentialState.ISSUED
            and is_ca(user)
            and (control is None or control.state == "awaiting")
        ),
        "device": device,
        "token": token,
        "demo_pin": DEMO_PIN,
        "can_open_pin_envelope": bool(
            token is not None
            and token.state == TokenState.PERSONALISED
            and token.pin_envelope
            and is_ca(user)
        ),
        "custody": custody,
        "obligations": obligations,
        "open_obligation": next((o for o in obligations if o.closed_at is None), None),
        "certificates": certificates,
        "handovers": list(device.handovers.select_related("notice").order_by("-pk")),
        "returns": list(device.returns.select_related("minutes").order_by("-pk")),
        "loss_reports": list(device.loss_reports.order_by("-pk")),
        "letters": letters,
        "actions": actions,
        "buttons": MOVES.buttons(device, actions),
        "is_staff": scope_for(user).has_role(*STAFF_ROLES),
        "today": timezone.localdate(),
    }
    return render(request, "devices/device_detail.html", context)
