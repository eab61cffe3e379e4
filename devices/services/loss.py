"""A lost device (Mẫu 09, docs/domain.md §4.3: "lập biên bản xác nhận theo Mẫu số 09 gửi ngay về
Cục").

The clerk makes the minutes; they go to the CA when the agency head signs them (at their
desk, paperwork/desk.py).

The minutes say when, where and how it was lost; the device becomes "lost" and any return
obligation on it is closed. The measure the law asks for, revoking its certificate with the
reason "device lost" (Mẫu 05), is drafted by paperwork/flows.py, which sits
above devices; `loss_report_attach_revocation` then records which letter that is.
"""

from datetime import date, datetime, time

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from devices import notify
from devices.models import Device, LossReport, ReturnMinutesItem, ReturnObligation
from devices.permissions import is_clerk_of, require
from devices.services.common import clean_text, next_number
from devices.services.custody import transition
from devices.services.tokens import device_token_retire
from portal.audit import audit_record
from portal.errors import DomainError


def loss_report_create(
    *,
    device: Device,
    lost_on: date,
    lost_place: str,
    circumstances: str,
    by,
    held_place: str = "",
    measures: str = "",
    lost_time: time | None = None,
    representative_name: str = "",
    representative_position: str = "",
) -> LossReport:
    require(is_clerk_of(by, device.agency))
    representative_name = clean_text(representative_name)
    representative_position = clean_text(representative_position)
    lost_place = clean_text(lost_place)
    circumstances = clean_text(circumstances)
    if not lost_place:
        raise DomainError(_("Hãy ghi rõ nơi thất lạc thiết bị."), code="lost_place")
    if not circumstances:
        raise DomainError(_("Hãy ghi rõ hoàn cảnh thất lạc thiết bị."), code="circumstances")
    if lost_on > timezone.localdate():
        raise DomainError(_("Ngày thất lạc không thể sau hôm nay."), code="future")
    if (
        lost_time is not None
        and timezone.make_aware(datetime.combine(lost_on, lost_time)) > timezone.now()
    ):
        raise DomainError(_("Thời điểm thất lạc không thể sau lúc này."), code="future")
    with transaction.atomic():
        locked = (
            Device.objects.select_for_update(of=("self",))
            .select_related("agency", "holder")
            .with_certificate()
            .get(pk=device.pk)
        )
        if ReturnMinutesItem.objects.filter(device=locked, is_open=True).exists():
            raise DomainError(
                _(
                    "Thiết bị %(serial)s đã được bàn giao theo biên bản Mẫu 08 đang chờ bên "
                    "nhận xác nhận; không thể báo mất."
                )
                % {"serial": locked.serial},
                code="in_return_minutes",
            )
        agency = locked.agency
        holder = locked.holder
        serial = locked.certificate_serial or ""
        if not measures and serial:
            measures = _(
                "Đề nghị thu hồi chứng thư số %(serial)s với lý do thiết bị lưu khóa bí mật bị "
                "mất (văn bản theo Mẫu 05)."
            ) % {"serial": serial}
        report = LossReport.objects.create(
            device=locked,
            agency=agency,
            person=holder,
            subscriber_name=(holder.full_name if holder else locked.certificate_name or "")[:255],
            subscriber_position=holder.position if holder else "",
            certificate_serial=serial,
            number=next_number(LossReport, agency, "BBTL"),
            held_at=timezone.now(),
            held_place=clean_text(held_place) or agency.name,
            representative_name=representative_name[:128],
            representative_position=representative_position[:128],
            lost_on=lost_on,
            lost_time=lost_time,
            lost_place=lost_place,
            circumstances=circumstances,
            measures=clean_text(measures),
            created_by=by,
        )
        ref = _("Mẫu 09 số %(number)s") % {"number": report.number}
        transition(locked, action="lose", by=by, document_ref=ref, note=circumstances)
        # Its token is never used again (docs/ca.md, "Subscribers' tokens").
        device_token_retire(device=locked, by=by, document_ref=ref)
        ReturnObligation.objects.open().filter(device=locked).update(
            closed_at=timezone.now(),
            closed_by=by,
            close_note=_("Thiết bị thất lạc (%(ref)s)") % {"ref": ref},
        )
        audit_record(
            actor=by,
            action="loss_report.create",
            obj=report,
            after={
                "number": report.number,
                "device": locked.serial,
                "lost_on": lost_on,
                "lost_time": lost_time.strftime("%H:%M") if lost_time else None,
                "lost_place": lost_place,
                "representative": representative_name,
            },
            reason=circumstances,
        )
        notify.awaiting_head_signature(report, url_name="devices:loss_detail")
    device.__dict__.update(status=locked.status)
    return report


def loss_report_attach_revocation(*, loss_report: LossReport, cert_request_id: int, by) -> None:
    """Record the Mẫu 05 letter drafted to revoke the lost device's certificate."""
    require(is_clerk_of(by, loss_report.agency))
    with transaction.atomic():
        LossReport.objects.filter(pk=loss_report.pk).update(revocation_request_id=cert_request_id)
        audit_record(
            actor=by,
            action="loss_report.attach_revocation",
            obj=loss_report,
            after={"cert_request": cert_request_id},
        )
    loss_report.revocation_request_id = cert_request_id
