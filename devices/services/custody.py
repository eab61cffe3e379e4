"""The device state machine: the lifecycle table (`devices.lifecycle.MOVES`) and one
`transition()` helper that locks the device, decides the move and the mover's role on the
locked row, refuses an illegal move with a Vietnamese message, closes the open custody
record, opens the next and writes an audit event (docs/architecture.md §3)."""

import secrets

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.validators import nfc
from devices.choices import DeviceKind, DeviceStatus
from devices.lifecycle import MOVES, SYSTEM
from devices.models import CustodyRecord, Device
from devices.permissions import holds
from devices.services.tokens import device_token_pin_reset
from portal.audit import audit_record
from portal.errors import DomainError

D = DeviceStatus
H = CustodyRecord.HolderKind

_UNSET = object()


def transition(
    device: Device,
    *,
    action: str,
    by,
    document_ref: str = "",
    note: str = "",
    holder_kind: str | None = None,
    custody_org=_UNSET,
    **fields,
) -> Device:
    """Move the device by `action` or raise DomainError, leaving everything unchanged.

    `holder_kind` overrides the table's holder (a device awaiting return that its agency
    still holds); `custody_org` the organisation written on the custody record (the
    provincial point that received a returned device). Updates and returns the caller's object.
    """
    move = MOVES[action]
    holder_kind = holder_kind or move.holder
    with transaction.atomic():
        locked = (
            Device.objects.select_for_update(of=("self",))
            .select_related("agency")
            .get(pk=device.pk)
        )
        if locked.status not in move.sources:
            raise DomainError(
                _("Không thể “%(action)s” thiết bị %(serial)s đang ở trạng thái “%(status)s”.")
                % {
                    "action": move.label,
                    "serial": locked.serial,
                    "status": locked.get_status_display(),
                },
                code="illegal_device_move",
            )
        roles = move.roles_from(locked.status)
        if SYSTEM not in roles and not any(holds(by, role, locked) for role in roles):
            raise PermissionDenied
        before = locked.status
        target = move.target
        locked.status = target
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=["status", *fields])
        now = timezone.now()
        CustodyRecord.objects.filter(device=locked, held_until__isnull=True).update(held_until=now)
        if custody_org is _UNSET:
            custody_org = locked.agency if holder_kind != H.CA else None
        CustodyRecord.objects.create(
            device=locked,
            status=target,
            holder_kind=holder_kind,
            agency=custody_org,
            person=locked.holder if holder_kind == H.SUBSCRIBER else None,
            held_from=now,
            handed_by=by,
            document_ref=document_ref[:128],
            note=note[:500],
        )
        audit_record(
            actor=by,
            action=f"device.{action}",
            obj=locked,
            before={"status": before},
            after={"status": target},
            reason=note,
        )
    device.status = locked.status
    for name in fields:
        setattr(device, name, getattr(locked, name))
    return device


def new_serial(kind: str) -> str:
    prefix = {DeviceKind.USB_TOKEN: "TK", DeviceKind.SD_SECURE: "SD"}.get(kind, "DV")
    return prefix + secrets.token_hex(4).upper()


def device_register_stock(*, kind: str, serial: str, by, **fields) -> Device:
    """A device enters the CA's stock (the start of its custody chain)."""
    with transaction.atomic():
        device = Device(kind=kind, serial=nfc(serial or "").upper(), **fields)
        device.full_clean(validate_unique=False, validate_constraints=False)
        try:
            with transaction.atomic():
                device.save()
        except IntegrityError as exc:
            raise DomainError(
                _("Số hiệu thiết bị %(serial)s đã có.") % {"serial": device.serial},
                code="duplicate_serial",
            ) from exc
        CustodyRecord.objects.create(
            device=device,
            status=device.status,
            holder_kind=H.CA,
            held_from=timezone.now(),
            handed_by=by,
        )
        audit_record(actor=by, action="device.register", obj=device, after={"status": "stock"})
    return device


def device_deliver_for_certificate(
    *, kind: str, agency, holder, by, document_ref: str = "", sim: dict | None = None
) -> Device:
    """Take a device of `kind` from the CA's stock (or register a new one when the stock is
    empty) and deliver it to the agency for `holder` (docs/domain.md §3: the CA delivers devices to
    the direct-managing agency, which then hands them to the subscriber)."""
    with transaction.atomic():
        device = None
        # A SIM PKI carries the subscriber's own number (or the one moved to it, "/cs"), so it
        # is made for them rather than taken from stock.
        if not (kind == DeviceKind.SIM_PKI and sim):
            device = (
                Device.objects.select_for_update(skip_locked=True)
                .filter(kind=kind, status=D.IN_CA_STOCK)
                .order_by("pk")
                .first()
            )
        if device is None:
            extra = dict(sim or {})
            serial = extra.pop("serial", None) or extra.get("iccid") or new_serial(kind)
            device = device_register_stock(kind=kind, serial=serial, by=by, **extra)
        return transition(
            device, action="deliver", by=by, document_ref=document_ref, agency=agency,
            holder=holder,
        )  # fmt: skip


def device_hand_over(*, device: Device, by, document_ref: str = "", note: str = "") -> Device:
    """One device to its subscriber; a clerk's handover of several with their Mẫu 07 notice
    is `handover_notice_create`."""
    return transition(device, action="hand_over", by=by, document_ref=document_ref, note=note)


def device_lock(*, device: Device, by, note: str = "") -> Device:
    """The device locked itself after too many wrong PINs: a Mẫu 06 recovery unlocks it."""
    return transition(device, action="lock", by=by, note=note)


def _move_if_it_can(device: Device, action: str, *, by, note: str = "") -> Device:
    """`action` on the device as locked, if its status is one the move starts from; else
    the device as it is."""
    with transaction.atomic():
        status = Device.objects.select_for_update(of=("self",)).get(pk=device.pk).status
        if not MOVES.can(action, status):
            return device
        return transition(device, action=action, by=by, note=note)


def device_lock_itself(*, device: Device, by, note: str = "") -> Device:
    """A key the portal guards locked itself (a remote credential's wrong signing PINs or
    "lock now", a SIM blocked at the gateway): the device is locked, as a token that counted
    wrong PINs; a Mẫu 06 recovery unlocks it. A device already locked, or on its way back to
    the CA, stays as it is."""
    return _move_if_it_can(device, "lock_itself", by=by, note=note)


def device_activated(*, device: Device, by) -> Device:
    """A remote credential activated by its holder is in their hands (the move `activate`);
    one already with them (activated again after a Mẫu 06) stays so."""
    return _move_if_it_can(device, "activate", by=by)


def device_recover(*, device: Device, by, document_ref: str = "") -> Device:
    """A locked device is unlocked (Mẫu 06) and is the subscriber's again: on its token the
    security officer sets a new user PIN, sealed for its handover (docs/ca.md, "Subscribers'
    tokens"); the move and the token's new PIN stand or fall together."""
    with transaction.atomic():
        device = transition(device, action="recover", by=by, document_ref=document_ref)
        device_token_pin_reset(device=device, by=by, document_ref=document_ref)
    return device


def device_await_return(*, device: Device, by, note: str = "") -> Device:
    holder = H.AGENCY if device.status in (D.DELIVERED_TO_AGENCY, D.RETURNED_TO_AGENCY) else None
    return transition(device, action="await_return", by=by, note=note, holder_kind=holder)


def device_collect(*, device: Device, by, document_ref: str = "", note: str = "") -> Device:
    """The agency took the device back from its subscriber (before handing it to the CA)."""
    return transition(device, action="collect", by=by, document_ref=document_ref, note=note)


def device_transfer_agency(*, device: Device, agency, by, document_ref: str = "") -> Device:
    """The device follows its holder to another managing agency (a person moving between
    agencies, docs/domain.md §5.3.1): same status and holder, a new custody record under the
    new agency. Not a move of the lifecycle table: nothing about the device's state changes.
    Decided on the locked device; moving it to the agency it already has changes nothing."""
    with transaction.atomic():
        locked = (
            Device.objects.select_for_update(of=("self",))
            .select_related("agency")
            .get(pk=device.pk)
        )
        if locked.agency_id == agency.pk:
            return locked
        if locked.status in (D.IN_CA_STOCK, D.RETURNED_TO_CA):
            raise DomainError(
                _("Thiết bị %(serial)s không do cơ quan nào quản lý.") % {"serial": locked.serial},
                code="device_not_with_agency",
            )
        before = locked.agency
        locked.agency = agency
        locked.save(update_fields=["agency"])
        now = timezone.now()
        current = CustodyRecord.objects.filter(device=locked, held_until__isnull=True).first()
        CustodyRecord.objects.filter(device=locked, held_until__isnull=True).update(held_until=now)
        holder_kind = current.holder_kind if current is not None else H.SUBSCRIBER
        CustodyRecord.objects.create(
            device=locked,
            status=locked.status,
            holder_kind=holder_kind,
            agency=agency,
            person=locked.holder if holder_kind == H.SUBSCRIBER else None,
            held_from=now,
            handed_by=by,
            document_ref=document_ref[:128],
            note=_("Chuyển theo người giữ sang %(agency)s.") % {"agency": agency},
        )
        audit_record(
            actor=by,
            action="device.transfer_agency",
            obj=locked,
            before={"agency": str(before) if before else ""},
            after={"agency": str(agency)},
        )
    device.agency = agency
    return device
