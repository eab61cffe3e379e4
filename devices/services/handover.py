"""Handing devices to their subscribers, with the Mẫu 07 notice to the CA (docs/domain.md §4.3:
"ngay sau khi bàn giao thiết bị lưu khóa bí mật cho thuê bao, gửi thông báo theo Mẫu số 07").

The clerk records the hand-over and prepares the notice for the agency head; the notice goes to
the CA when the head signs it (at their desk, paperwork/desk.py)."""

from collections.abc import Collection, Sequence
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Organization
from devices import notify
from devices.models import Device, HandoverItem, HandoverNotice
from devices.permissions import is_clerk_of, require
from devices.services.common import next_number, under
from devices.services.custody import transition
from portal.audit import audit_record
from portal.errors import DomainError


def handover_notice_create(
    *,
    agency: Organization,
    devices: Sequence[Device],
    acknowledged: Collection[int],
    handed_on: date,
    by,
) -> HandoverNotice:
    """Record that the clerk handed `devices` to their subscribers on `handed_on`, each
    subscriber having signed for theirs (`acknowledged`: the devices' ids), and prepare the
    Mẫu 07 notice for the agency head to sign and send. All the devices or none."""
    require(is_clerk_of(by, agency))
    if not devices:
        raise DomainError(_("Hãy chọn ít nhất một thiết bị."), code="empty")
    unsigned = [d.serial for d in devices if d.pk not in set(acknowledged)]
    if unsigned:
        raise DomainError(
            _("Thuê bao chưa ký nhận thiết bị: %(list)s.") % {"list": ", ".join(unsigned)},
            code="not_acknowledged",
        )
    today = timezone.localdate()
    if handed_on > today:
        raise DomainError(_("Ngày bàn giao không thể sau hôm nay."), code="future")
    with transaction.atomic():
        notice = HandoverNotice.objects.create(
            agency=agency,
            number=next_number(HandoverNotice, agency, "TBBG"),
            issued_on=today,
            handed_on=handed_on,
            created_by=by,
        )
        ref = _("Mẫu 07 số %(number)s") % {"number": notice.number}
        ordered = sorted(devices, key=lambda d: d.pk)
        for device in ordered:
            if not under(device.agency, agency):
                raise DomainError(
                    _("Thiết bị %(serial)s không thuộc cơ quan này.") % {"serial": device.serial},
                    code="not_agency_device",
                )
            transition(device, action="hand_over", by=by, document_ref=ref)
        # Snapshots for the document, read after the moves (the devices are locked).
        snapshot = {
            d.pk: d
            for d in Device.objects.filter(pk__in=[d.pk for d in ordered])
            .select_related("holder")
            .with_certificate()
        }
        HandoverItem.objects.bulk_create(
            [
                HandoverItem(
                    notice=notice,
                    position=position,
                    device_id=device.pk,
                    person_id=snapshot[device.pk].holder_id,
                    subscriber_name=_subscriber_name(snapshot[device.pk]),
                    certificate_serial=snapshot[device.pk].certificate_serial or "",
                    acknowledged=True,
                )
                for position, device in enumerate(ordered, start=1)
            ]
        )
        audit_record(
            actor=by,
            action="handover_notice.create",
            obj=notice,
            after={
                "number": notice.number,
                "handed_on": handed_on,
                "devices": [d.serial for d in ordered],
            },
        )
        notify.awaiting_head_signature(notice, url_name="devices:notice_detail")
    return notice


def _subscriber_name(device: Device) -> str:
    if device.holder_id:
        return device.holder.full_name
    return device.certificate_name or _("(thuê bao là tổ chức)")
