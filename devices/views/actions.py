"""What a clerk does to one device: record it locked, record it collected from its subscriber.

Reporting it lost (Mẫu 09 and the Mẫu 05 draft) and asking for its recovery (Mẫu 06) draft
letters, so they are flows of paperwork (paperwork/flows.py, docs/architecture.md §1).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from devices import services
from devices.forms import LockForm
from devices.permissions import device_actions
from devices.views.common import visible_device
from portal.errors import DomainError


def _require_action(user, device, action: str) -> None:
    if action not in device_actions(user, device):
        raise PermissionDenied


@login_required
@require_POST
def device_lock(request, pk: int):
    device = visible_device(request, pk)
    _require_action(request.user, device, "lock")
    form = LockForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.device_lock(
            device=device, by=request.user, note=note or _("Nhập sai mã PIN quá số lần quy định")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _(
                "Đã ghi nhận thiết bị %(serial)s bị khóa. Lập ngay văn bản đề nghị khôi phục "
                "(Mẫu 06) để thuê bao dùng lại được thiết bị."
            )
            % {"serial": device.serial},
        )
    return redirect("devices:detail", pk=device.pk)


@login_required
@require_POST
def device_collect(request, pk: int):
    device = visible_device(request, pk)
    _require_action(request.user, device, "collect")
    try:
        services.device_collect(
            device=device, by=request.user, note=_("Cơ quan đã thu hồi thiết bị từ thuê bao")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _(
                "Đã ghi nhận thu hồi thiết bị %(serial)s từ thuê bao. Để bàn giao lại CA, bấm "
                "“Lập biên bản bàn giao lại CA (Mẫu 08)”."
            )
            % {"serial": device.serial},
        )
    return redirect("devices:detail", pk=device.pk)


@login_required
@require_POST
def device_pin_envelope(request, pk: int):
    """The CA operator opens the PIN envelope of a personalised device, once, to hand the PIN
    over with the device (Mẫu 07, docs/ca.md "Subscribers' tokens"): shown on this answer
    only, never stored again, audited without the PIN."""
    device = visible_device(request, pk)
    try:
        pin = services.device_token_pin_reveal(device=device, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("devices:detail", pk=device.pk)
    response = render(request, "devices/pin_envelope.html", {"device": device, "pin": pin})
    response["Cache-Control"] = "no-store"
    return response
