"""Getting devices back after their certificate was revoked or expired (docs/domain.md §4.3, Mẫu
08).

A revocation or expiry notice opens a return obligation due N working days later
(PORTAL_DEVICE_RETURN_WORKING_DAYS, 5); the clerk collects the device from its subscriber and
hands it to the CA or its provincial point in Mẫu 08 minutes (several devices per minutes);
the agency head signs them and they go to the receiving side (`sent_at`), which confirms
receipt by signing them in turn (paperwork/desk.py); that closes the obligations. Overdue obligations are
told to the agency once, by a periodic task.
"""

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.choices import OrgKind
from agencies.models import Organization
from devices import notify
from devices.choices import (
    PHYSICAL_KINDS,
    DeviceCondition,
    DeviceStatus,
    ReceiverKind,
    ReturnReason,
)
from devices.models import (
    CustodyRecord,
    Device,
    ReturnMinutes,
    ReturnMinutesItem,
    ReturnObligation,
)
from devices.permissions import can_confirm_minutes, is_clerk_of, require
from devices.services.common import clean_text, next_number, obligation_webhook, under
from devices.services.custody import transition
from devices.services.tokens import device_token_wipe
from portal.audit import audit_record
from portal.errors import DomainError
from portal.workdays import add_working_days
from webhooks.choices import EventType
from webhooks.services import webhook_events_record_many

D = DeviceStatus
H = CustodyRecord.HolderKind

# States in which a device is still out there and has to come back.
RETURNABLE = frozenset(
    {D.DELIVERED_TO_AGENCY, D.HANDED_TO_SUBSCRIBER, D.LOCKED, D.AWAITING_RETURN,
     D.RETURNED_TO_AGENCY}
)  # fmt: skip


def device_return_obligation_open(
    *,
    device: Device,
    reason: str,
    notified_on: date,
    by,
    certificate_serial: str = "",
    note: str = "",
) -> ReturnObligation | None:
    """The certificate on `device` was revoked or expired on `notified_on`: the agency must
    hand the device back within PORTAL_DEVICE_RETURN_WORKING_DAYS working days.

    Call it inside the revocation's (or expiry's) transaction. Idempotent: a device already
    owing its return keeps its first obligation. Returns None when there is nothing to give
    back (a lost or broken device, one already returned or still in stock, a software key,
    a device still carrying another valid certificate).
    """
    if reason not in ReturnReason.values:
        raise ValueError(f"unknown return reason: {reason}")
    with transaction.atomic():
        locked = (
            Device.objects.select_for_update(of=("self",))
            .select_related("agency")
            .get(pk=device.pk)
        )
        existing = ReturnObligation.objects.open().filter(device=locked).first()
        if existing is not None:
            return existing
        if (
            locked.status not in RETURNABLE
            or locked.kind not in PHYSICAL_KINDS
            or locked.agency_id is None
            or Device.objects.filter(pk=locked.pk)
            .carrying_valid_certificate(excluding=certificate_serial)
            .exists()
        ):
            return None
        if locked.status != D.AWAITING_RETURN:
            agency_holds = locked.status in (D.DELIVERED_TO_AGENCY, D.RETURNED_TO_AGENCY)
            transition(
                locked,
                action="await_return",
                by=by,
                note=note or str(ReturnReason(reason).label),
                holder_kind=H.AGENCY if agency_holds else H.SUBSCRIBER,
            )
        obligation = ReturnObligation.objects.create(
            device=locked,
            agency=locked.agency,
            person_id=locked.holder_id,
            certificate_serial=certificate_serial[:40],
            reason=reason,
            notified_on=notified_on,
            due_on=add_working_days(notified_on, settings.PORTAL_DEVICE_RETURN_WORKING_DAYS),
            opened_by=by,
        )
        audit_record(
            actor=by,
            action="return_obligation.open",
            obj=obligation,
            after={
                "device": locked.serial,
                "reason": reason,
                "notified_on": notified_on,
                "due_on": obligation.due_on,
                "certificate": certificate_serial,
            },
            reason=note,
        )
        webhook_events_record_many(
            events=[
                obligation_webhook(
                    EventType.DEVICE_RETURN_DUE,
                    obligation_id=obligation.pk,
                    device_id=locked.pk,
                    serial=locked.serial,
                    agency_id=obligation.agency_id,
                    reason=reason,
                    due_on=obligation.due_on,
                )
            ]
        )
        notify.return_obligation_opened(obligation, locked)
    device.__dict__.update(status=locked.status)
    return obligation


def _receiver(agency: Organization, receiver_kind: str) -> Organization:
    if receiver_kind == ReceiverKind.CA:
        receiver = Organization.objects.filter(kind=OrgKind.CA).active().order_by("pk").first()
    elif receiver_kind == ReceiverKind.PROVINCE:
        receiver = (
            Organization.objects.filter(
                kind=OrgKind.PROVINCIAL_OFFICE, province_id=agency.province_id
            )
            .active()
            .order_by("pk")
            .first()
        )
    else:
        raise DomainError(_("Bên nhận không hợp lệ."), code="receiver")
    if receiver is None:
        raise DomainError(
            _("Chưa có cơ quan nhận “%(kind)s” trong hệ thống.")
            % {"kind": ReceiverKind(receiver_kind).label},
            code="receiver_missing",
        )
    return receiver


def return_minutes_create(
    *,
    agency: Organization,
    devices: Sequence[Device],
    held_at: datetime,
    place: str,
    receiver_kind: str,
    agency_representative: str,
    by,
    agency_representative_title: str = "",
    receiver_representative: str = "",
    receiver_representative_title: str = "",
    conditions: Mapping[int, str] | None = None,
) -> ReturnMinutes:
    """Mẫu 08: the agency hands devices owing their return to the CA or its provincial point.

    Each device must have an open return obligation (its certificate was revoked or expired)
    and not be in another unconfirmed minutes; a device still with its subscriber is recorded
    as collected first. All the devices or none.
    """
    require(is_clerk_of(by, agency))
    place = clean_text(place)
    agency_representative = clean_text(agency_representative)
    if not devices:
        raise DomainError(_("Hãy chọn ít nhất một thiết bị."), code="empty")
    if not place:
        raise DomainError(_("Hãy ghi địa điểm giao nhận."), code="place")
    if not agency_representative:
        raise DomainError(_("Hãy ghi người đại diện bên giao."), code="representative")
    if timezone.localdate(held_at) > timezone.localdate():
        raise DomainError(_("Thời gian giao nhận không thể sau hôm nay."), code="future")
    conditions = conditions or {}
    receiver = _receiver(agency, receiver_kind)
    with transaction.atomic():
        minutes = ReturnMinutes.objects.create(
            agency=agency,
            number=next_number(ReturnMinutes, agency, "BBGN"),
            held_at=held_at,
            place=place,
            receiver_kind=receiver_kind,
            receiver=receiver,
            agency_representative=agency_representative,
            agency_representative_title=clean_text(agency_representative_title),
            receiver_representative=clean_text(receiver_representative),
            receiver_representative_title=clean_text(receiver_representative_title),
            created_by=by,
        )
        ref = _("Mẫu 08 số %(number)s") % {"number": minutes.number}
        for position, device in enumerate(sorted(devices, key=lambda d: d.pk), start=1):
            _add_item(
                minutes, position, device, by=by, ref=ref, condition=conditions.get(device.pk)
            )
        audit_record(
            actor=by,
            action="return_minutes.create",
            obj=minutes,
            after={
                "number": minutes.number,
                "receiver": receiver.name,
                "devices": [d.serial for d in devices],
            },
        )
        notify.awaiting_head_signature(minutes, url_name="devices:minutes_detail")
    return minutes


def _add_item(minutes, position, device, *, by, ref, condition) -> None:
    locked = (
        Device.objects.select_for_update(of=("self",))
        .select_related("agency", "holder")
        .with_certificate()
        .get(pk=device.pk)
    )
    if not under(locked.agency, minutes.agency):
        raise DomainError(
            _("Thiết bị %(serial)s không thuộc cơ quan này.") % {"serial": locked.serial},
            code="not_agency_device",
        )
    obligation = ReturnObligation.objects.open().filter(device=locked).first()
    if obligation is None:
        raise DomainError(
            _(
                "Thiết bị %(serial)s (“%(status)s”) không phải bàn giao lại: chứng thư trên "
                "thiết bị chưa bị thu hồi hoặc hết hạn."
            )
            % {"serial": locked.serial, "status": locked.get_status_display()},
            code="no_return_obligation",
        )
    if obligation.minutes_id is not None:
        raise DomainError(
            _("Thiết bị %(serial)s đã có trong một biên bản Mẫu 08 khác.")
            % {"serial": locked.serial},
            code="already_in_minutes",
        )
    if condition not in (None, "", *DeviceCondition.values):
        raise DomainError(_("Tình trạng thiết bị không hợp lệ."), code="condition")
    if locked.status == D.AWAITING_RETURN:
        transition(locked, action="collect", by=by, document_ref=ref)
    elif locked.status != D.RETURNED_TO_AGENCY:
        raise DomainError(
            _("Không thể bàn giao lại thiết bị %(serial)s đang ở trạng thái “%(status)s”.")
            % {"serial": locked.serial, "status": locked.get_status_display()},
            code="illegal_device_move",
        )
    holder = locked.holder
    try:
        with transaction.atomic():
            ReturnMinutesItem.objects.create(
                minutes=minutes,
                position=position,
                device=locked,
                obligation=obligation,
                subscriber_name=(holder.full_name if holder else locked.certificate_name or "")[
                    :255
                ],
                certificate_serial=obligation.certificate_serial or locked.certificate_serial or "",
                reason=obligation.reason,
                condition=condition or DeviceCondition.GOOD,
            )
    except IntegrityError as exc:
        raise DomainError(
            _("Thiết bị %(serial)s đã có trong một biên bản chờ xác nhận.")
            % {"serial": locked.serial},
            code="already_in_minutes",
        ) from exc
    obligation.minutes = minutes
    obligation.handed_over_on = timezone.localdate(minutes.held_at)
    obligation.save(update_fields=["minutes", "handed_over_on"])


def return_minutes_confirm(
    *,
    minutes: ReturnMinutes,
    by,
    receiver_representative: str = "",
    receiver_representative_title: str = "",
) -> ReturnMinutes:
    """The receiving side confirms it received every device of the minutes: each becomes
    "returned to the CA" (held by the receiver) and its return obligation is closed."""
    require(can_confirm_minutes(by, minutes))
    with transaction.atomic():
        locked = ReturnMinutes.objects.select_for_update().get(pk=minutes.pk)
        if locked.confirmed_at is not None:
            raise DomainError(_("Biên bản này đã được xác nhận."), code="already_confirmed")
        if locked.sent_at is None:
            raise DomainError(
                _("Lãnh đạo bên giao chưa ký biên bản: chưa thể xác nhận."), code="not_sent"
            )
        now = timezone.now()
        ref = _("Mẫu 08 số %(number)s") % {"number": locked.number}
        items = list(locked.items.select_related("device", "obligation").order_by("device_id"))
        for item in items:
            transition(
                item.device,
                action="return_to_ca",
                by=by,
                document_ref=ref,
                custody_org=locked.receiver,
            )
            # Wiped before it can go back to stock (docs/ca.md, "Subscribers' tokens").
            device_token_wipe(device=item.device, by=by, document_ref=ref)
        ReturnObligation.objects.filter(pk__in=[i.obligation_id for i in items]).update(
            closed_at=now, closed_by=by, close_note=_("Đã bàn giao theo %(ref)s") % {"ref": ref}
        )
        locked.items.update(is_open=False)
        locked.confirmed_at = now
        locked.confirmed_by = by
        fields = ["confirmed_at", "confirmed_by"]
        if receiver_representative:
            locked.receiver_representative = clean_text(receiver_representative)
            locked.receiver_representative_title = clean_text(receiver_representative_title)
            fields += ["receiver_representative", "receiver_representative_title"]
        locked.save(update_fields=fields)
        audit_record(
            actor=by,
            action="return_minutes.confirm",
            obj=locked,
            after={"number": locked.number, "devices": [i.device.serial for i in items]},
        )
        notify.return_minutes_confirmed(locked)
    minutes.__dict__.update({k: getattr(locked, k) for k in ("confirmed_at", "confirmed_by_id")})
    return minutes


def return_obligation_notify_overdue(*, today: date | None = None, batch_size: int = 5000) -> int:
    """Tell each agency, once, about every return obligation that became overdue.

    Set-based (docs/scale.md §12.4): per batch, one query takes the obligations not yet
    told (locked, skipping those another sweep holds), one UPDATE marks them told and one bulk
    insert writes the notices, in one transaction. Idempotent: a second run (or a redelivered
    task, or a sweep running alongside) tells nobody again. Returns the number of obligations
    told about.
    """
    today = today or timezone.localdate()
    told = 0
    while True:
        with transaction.atomic():
            due = list(
                ReturnObligation.objects.overdue(today)
                .filter(overdue_notified_at__isnull=True)
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("pk")
                .values_list("pk", "agency_id", "device__serial", "due_on", "device_id", "reason")[
                    :batch_size
                ]
            )
            if not due:
                return told
            ReturnObligation.objects.filter(pk__in=[row[0] for row in due]).update(
                overdue_notified_at=timezone.now()
            )
            notify.return_obligations_overdue([row[1:4] for row in due])
            webhook_events_record_many(
                events=[
                    obligation_webhook(
                        EventType.DEVICE_RETURN_OVERDUE,
                        obligation_id=pk,
                        device_id=device_id,
                        serial=serial,
                        agency_id=agency_id,
                        reason=reason,
                        due_on=due_on,
                    )
                    for pk, agency_id, serial, due_on, device_id, reason in due
                ]
            )
            told += len(due)
        if len(due) < batch_size:
            return told
