"""The pages of the flows that start from a device (paperwork/flows.py): report a
device lost (Mẫu 09, then the drafted Mẫu 05), ask for a locked device's recovery (Mẫu 06).
They sit under the device's address and lead back to its page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from devices.forms import LossForm
from devices.models import Device
from devices.permissions import device_actions
from paperwork import flows as device_flows
from paperwork.flows import DRAFT_ERRORS
from portal.errors import DomainError


def _device(request, pk: int, action: str) -> Device:
    """The device, if the user sees it (else 404) and may take `action` on it (else 403)."""
    device = get_object_or_404(
        Device.objects.visible_to(request.user).select_related(
            "agency", "agency__province", "holder"
        ),
        pk=pk,
    )
    if action not in device_actions(request.user, device):
        raise PermissionDenied
    return device


@login_required
@require_POST
def device_recovery_request(request, pk: int):
    """Draft the Mẫu 06 recovery letter for a locked device and open it."""
    device = _device(request, pk, "recovery_request")
    try:
        letter, drafted = device_flows.device_recovery_draft(device=device, by=request.user)
    except DRAFT_ERRORS as exc:
        messages.error(
            request,
            _("Chưa lập được văn bản Mẫu 06: %(why)s")
            % {"why": device_flows.draft_error_text(exc)},
        )
        return redirect("devices:detail", pk=device.pk)
    if not drafted:
        messages.info(request, _("Thiết bị đã có văn bản đề nghị khôi phục đang xử lý."))
    else:
        messages.success(
            request,
            _("Đã soạn văn bản đề nghị khôi phục (Mẫu 06) cho thiết bị %(serial)s: hãy trình ký.")
            % {"serial": device.serial},
        )
    return redirect("requests_app:detail", pk=letter.pk)


@login_required
@require_http_methods(["GET", "POST"])
def device_report_loss(request, pk: int):
    """Mẫu 09, then the Mẫu 05 revocation of the device's certificates, drafted for the
    clerk to submit right away."""
    device = _device(request, pk, "lose")
    form = LossForm(
        request.POST or None,
        initial={"lost_on": timezone.localdate(), "held_place": device.agency.name},
    )
    if request.method == "POST" and form.is_valid():
        try:
            data = form.cleaned_data
            outcome = device_flows.device_loss_report(
                device=device,
                lost_on=data["lost_on"],
                lost_place=data["lost_place"],
                circumstances=data["circumstances"],
                held_place=data["held_place"],
                by=request.user,
                lost_time=data["lost_time"],
                representative_name=data["representative_name"],
                representative_position=data["representative_position"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return _reported(request, outcome)
    return render(
        request,
        "paperwork/device_loss.html",
        {
            "device": device,
            "form": form,
            "certificates": device_flows.revocable_certificates(device),
        },
    )


def _reported(request, outcome: device_flows.LossReported):
    """Say what was done and open the drafted Mẫu 05, else the Mẫu 09."""
    number = outcome.report.number
    if outcome.stopped:
        # Whatever else was open on the certificate or the device cannot go on (§3.8).
        messages.warning(
            request,
            _(
                "Đã dừng %(n)d dòng của đề nghị khác đang mở cho chứng thư hoặc thiết bị này "
                "(văn bản: %(letters)s), vì thiết bị đã báo mất: mỗi dòng ghi rõ lý do."
            )
            % {
                "n": len(outcome.stopped),
                "letters": ", ".join(
                    dict.fromkeys(
                        row.cert_request.number or f"#{row.cert_request_id}"
                        for row in outcome.stopped
                    )
                ),
            },
        )
    if outcome.letter is not None:
        messages.success(
            request,
            _(
                "Đã lập biên bản Mẫu 09 số %(number)s; biên bản được gửi Cục CTS&BMTT khi "
                "lãnh đạo cơ quan ký số. Văn bản đề nghị thu hồi chứng thư (Mẫu 05, lý do: "
                "thiết bị bị mất) đã được soạn sẵn: hãy kiểm tra và trình ký ngay."
            )
            % {"number": number},
        )
        return redirect("requests_app:detail", pk=outcome.letter.pk)
    if outcome.draft_error:
        messages.warning(
            request,
            _(
                "Đã lập biên bản Mẫu 09 số %(number)s, nhưng chưa soạn được văn bản thu hồi "
                "(Mẫu 05): %(why)s"
            )
            % {"number": number, "why": outcome.draft_error},
        )
    else:
        messages.success(
            request,
            _(
                "Đã lập biên bản Mẫu 09 số %(number)s; biên bản được gửi Cục CTS&BMTT khi "
                "lãnh đạo cơ quan ký số. Thiết bị không có chứng thư còn hiệu lực nên không "
                "cần đề nghị thu hồi."
            )
            % {"number": number},
        )
    return redirect("devices:loss_detail", pk=outcome.report.pk)
