"""What a clerk does to one device: record it locked (and ask for its recovery, Mẫu 06),
record it collected from its subscriber, report it lost (Mẫu 09 and the Mẫu 05 draft).

Flows that span apps compose the services of both here (DESIGN §1): devices' services never
import requests_app, this view does.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from agencies.models import Person
from certificates.choices import CertStatus, RevocationReason
from certificates.models import Certificate
from devices import services
from devices.forms import LockForm, LossForm
from devices.permissions import device_actions
from devices.views._common import visible_device
from portal.errors import DomainError
from requests_app import services as letters
from requests_app.choices import FormKind
from requests_app.exceptions import RowInvalid
from requests_app.models import CertRequest, RequestRow
from requests_app.services import CONTACT_FIELDS


def _require_action(user, device, action: str) -> None:
    if action not in device_actions(user, device):
        raise PermissionDenied


def _contact(agency, user, form: str) -> dict:
    """Section 1 of a drafted letter, from the agency's latest letter of that form (else any
    letter), else from the clerk's own record, so the clerk can submit at once."""
    previous = (
        CertRequest.objects.filter(agency=agency)
        .exclude(contact_name="")
        .order_by("-created_at", "-pk")
    )
    letter = previous.filter(form=form).first() or previous.first()
    if letter is not None:
        return {
            name: getattr(letter, name)
            for name in CONTACT_FIELDS
            if name != "subject" and getattr(letter, name) not in (None, "")
        }
    person = Person.objects.filter(user=user).first()
    if person is None:
        return {}
    return {
        "contact_name": person.full_name,
        "contact_national_id": person.national_id,
        "contact_id_issue_date": person.id_issue_date,
        "contact_id_issue_place": person.id_issue_place,
        "contact_position": person.position,
        "contact_mobile": person.mobile,
        "contact_email": person.official_email,
        "contact_agency": agency.name,
    }


def _letter_errors(exc) -> str:
    if isinstance(exc, RowInvalid):
        return " ".join(m for msgs in exc.errors.values() for m in msgs)
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


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
def device_recovery_request(request, pk: int):
    """Draft the Mẫu 06 recovery letter for a locked device and open it."""
    device = visible_device(request, pk)
    _require_action(request.user, device, "recovery_request")
    open_row = RequestRow.objects.open().filter(device=device).select_related("cert_request")
    existing = open_row.first()
    if existing is not None:
        messages.info(request, _("Thiết bị đã có văn bản đề nghị khôi phục đang xử lý."))
        return redirect("requests_app:detail", pk=existing.cert_request_id)
    try:
        with transaction.atomic():
            letter = letters.cert_request_create(
                agency=device.agency,
                form=FormKind.RECOVER_DEVICE,
                by=request.user,
                subject=_("V/v đề nghị khôi phục thiết bị lưu khóa bí mật"),
                **_contact(device.agency, request.user, FormKind.RECOVER_DEVICE),
            )
            letters.row_save(cert_request=letter, by=request.user, data={"device": device})
    except (DomainError, RowInvalid, ValidationError, PermissionDenied) as exc:
        messages.error(
            request,
            _("Chưa lập được văn bản Mẫu 06: %(why)s") % {"why": _letter_errors(exc)},
        )
        return redirect("devices:detail", pk=device.pk)
    messages.success(
        request,
        _("Đã soạn văn bản đề nghị khôi phục (Mẫu 06) cho thiết bị %(serial)s: hãy trình ký.")
        % {"serial": device.serial},
    )
    return redirect("requests_app:detail", pk=letter.pk)


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
                "Đã ghi nhận thu hồi thiết bị %(serial)s từ thuê bao; hãy lập biên bản Mẫu 08 "
                "để bàn giao lại CA."
            )
            % {"serial": device.serial},
        )
    return redirect("devices:detail", pk=device.pk)


@login_required
@require_http_methods(["GET", "POST"])
def device_report_loss(request, pk: int):
    """Mẫu 09, then the Mẫu 05 revocation of the device's certificates, drafted for the
    clerk to submit right away."""
    device = visible_device(request, pk)
    _require_action(request.user, device, "report_loss")
    certificates = list(
        Certificate.objects.filter(
            device=device, status=CertStatus.VALID, not_after__gt=timezone.now()
        ).order_by("pk")
    )
    form = LossForm(
        request.POST or None,
        initial={"lost_on": timezone.localdate(), "held_place": device.agency.name},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = services.loss_report_create(
                device=device,
                lost_on=data["lost_on"],
                lost_place=data["lost_place"],
                circumstances=data["circumstances"],
                held_place=data["held_place"],
                by=request.user,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            letter = _draft_revocation(request, report, certificates)
            if letter is None:
                return redirect("devices:loss_detail", pk=report.pk)
            messages.success(
                request,
                _(
                    "Đã lập biên bản Mẫu 09 số %(number)s và gửi Cục CTS&BMTT. Văn bản đề nghị "
                    "thu hồi chứng thư (Mẫu 05, lý do: thiết bị bị mất) đã được soạn sẵn: hãy "
                    "kiểm tra và trình ký ngay."
                )
                % {"number": report.number},
            )
            return redirect("requests_app:detail", pk=letter.pk)
    return render(
        request,
        "devices/loss_form.html",
        {"device": device, "form": form, "certificates": certificates},
    )


def _draft_revocation(request, report, certificates):
    """The Mẫu 05 letter revoking the lost device's certificates; None (with a message)
    when there is nothing to revoke or the draft cannot be made."""
    if not certificates:
        messages.success(
            request,
            _(
                "Đã lập biên bản Mẫu 09 số %(number)s và gửi Cục CTS&BMTT. Thiết bị không có "
                "chứng thư còn hiệu lực nên không cần đề nghị thu hồi."
            )
            % {"number": report.number},
        )
        return None
    try:
        with transaction.atomic():
            letter = letters.cert_request_create(
                agency=report.agency,
                form=FormKind.REVOKE,
                by=request.user,
                subject=_(
                    "V/v đề nghị thu hồi chứng thư chữ ký số do thiết bị lưu khóa bí mật bị mất"
                ),
                **_contact(report.agency, request.user, FormKind.REVOKE),
            )
            for certificate in certificates:
                letters.row_save(
                    cert_request=letter,
                    by=request.user,
                    data={
                        "certificate": certificate,
                        "revoke_reason": RevocationReason.DEVICE_LOST,
                    },
                )
            services.loss_report_attach_revocation(
                loss_report=report, cert_request_id=letter.pk, by=request.user
            )
    except (DomainError, RowInvalid, ValidationError, PermissionDenied) as exc:
        messages.warning(
            request,
            _(
                "Đã lập biên bản Mẫu 09 số %(number)s, nhưng chưa soạn được văn bản thu hồi "
                "(Mẫu 05): %(why)s"
            )
            % {"number": report.number, "why": _letter_errors(exc)},
        )
        return None
    return letter
