"""Devices delivered for many certificates at once: what `device_deliver_for_certificate`
does for one, with bulk writes (a chunk of a letter being processed, docs/architecture.md
§12.3). The same devices, custody records and audit events; a fixed number of queries
whatever the number of devices."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from agencies.validators import nfc
from devices.choices import DeviceKind, DeviceStatus
from devices.lifecycle import MOVES
from devices.models import CustodyRecord, Device
from devices.services.custody import new_serial
from portal.audit_batch import AuditEntry, audit_record_many
from portal.lib.bulk import update_rows

D = DeviceStatus
H = CustodyRecord.HolderKind


@dataclass(frozen=True)
class DeliveryOrder:
    """One device wanted for a certificate: its kind, its future subscriber, and for a SIM
    PKI made for them its ICCID, phone number and carrier (`sim`)."""

    kind: str
    holder: object = None
    sim: dict | None = None


def device_deliver_for_certificates(
    *,
    orders: Sequence[DeliveryOrder],
    agency,
    by,
    document_ref: str = "",
    audit_into: Sequence[list[AuditEntry]] | None = None,
) -> list[Device]:
    """A device for each order, delivered to the agency: taken from the CA's stock (locked,
    skipping devices another delivery holds) or, when the stock of its kind runs out and for
    every SIM PKI, registered first. Each device gets the custody records and the events
    (`device.register`, `device.deliver`) the one-by-one delivery gives it, appended to its
    order's list of `audit_into` for the caller to write, else recorded here.

    A refused device (its fields, a serial taken meanwhile) fails the whole call, written
    nothing: the caller falls back to delivering one by one, where it fails alone.
    """
    move = MOVES["deliver"]
    now = timezone.now()
    devices: list[Device | None] = [None] * len(orders)
    registered: set[int] = set()
    with transaction.atomic():
        wanted: dict[str, list[int]] = {}
        for index, order in enumerate(orders):
            if not (order.kind == DeviceKind.SIM_PKI and order.sim):
                wanted.setdefault(order.kind, []).append(index)
        for kind, indexes in wanted.items():
            stock = (
                Device.objects.select_for_update(skip_locked=True)
                .filter(kind=kind, status=D.IN_CA_STOCK)
                .order_by("pk")[: len(indexes)]
            )
            for index, device in zip(indexes, stock, strict=False):
                devices[index] = device
        taken = [device for device in devices if device is not None]
        new = []
        for index, order in enumerate(orders):
            if devices[index] is not None:
                continue
            extra = dict(order.sim or {})
            serial = extra.pop("serial", None) or extra.get("iccid") or new_serial(order.kind)
            device = Device(kind=order.kind, serial=nfc(serial or "").upper(), **extra)
            device.full_clean(validate_unique=False, validate_constraints=False)
            devices[index] = device
            registered.add(index)
            new.append(device)
        for index, order in enumerate(orders):
            device = devices[index]
            device.status, device.agency, device.holder = move.target, agency, order.holder
        Device.objects.bulk_create(new, batch_size=1000)
        if taken:
            CustodyRecord.objects.filter(device__in=taken, held_until__isnull=True).update(
                held_until=now
            )
            update_rows(
                Device,
                ["status", "agency", "holder"],
                [(d.pk, d.status, d.agency_id, d.holder_id) for d in taken],
            )
        records = []
        for index, device in enumerate(devices):
            if index in registered:  # its stock record, opened and closed by the delivery
                records.append(
                    CustodyRecord(
                        device=device, status=D.IN_CA_STOCK, holder_kind=H.CA, held_from=now,
                        held_until=now, handed_by=by,
                    )
                )  # fmt: skip
            records.append(
                CustodyRecord(
                    device=device, status=move.target, holder_kind=move.holder, agency=agency,
                    held_from=now, handed_by=by, document_ref=document_ref[:128],
                )
            )  # fmt: skip
        CustodyRecord.objects.bulk_create(records, batch_size=1000)
        events: list[list[AuditEntry]] = []
        for index, device in enumerate(devices):
            entries = []
            if index in registered:
                entries.append(AuditEntry("device.register", device, after={"status": "stock"}))
            entries.append(
                AuditEntry(
                    "device.deliver",
                    device,
                    before={"status": D.IN_CA_STOCK},
                    after={"status": move.target},
                )
            )
            events.append(entries)
        if audit_into is None:
            audit_record_many(actor=by, entries=[e for entries in events for e in entries])
        else:
            for into, entries in zip(audit_into, events, strict=True):
                into.extend(entries)
    return devices
