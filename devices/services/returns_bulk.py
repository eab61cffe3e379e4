"""Return obligations opened many at a time (docs/scale.md §12.4): the expiry sweep's
batch makes the decisions `returns.device_return_obligation_open` makes one by one, in a fixed
number of statements whatever the batch's size."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from devices import notify
from devices.choices import (
    PHYSICAL_KINDS,
    DeviceKind,
    ReturnReason,
)
from devices.models import (
    CustodyRecord,
    Device,
    ReturnObligation,
)
from devices.services.common import obligation_webhook
from devices.services.returns import RETURNABLE, D, H
from portal.audit_batch import AuditEntry, AuditObject, audit_record_many
from portal.lib.bulk import create_rows, insert_rows
from portal.workdays import add_working_days_each
from webhooks.choices import EventType
from webhooks.services import webhook_events_record_many


@dataclass(frozen=True)
class ReturnOpening:
    """One certificate ended on `device_id` on `notified_on`: what `device_return_obligation_open`
    takes for one device, for `device_return_obligations_open`."""

    device_id: int
    notified_on: date
    certificate_serial: str = ""


def device_return_obligations_open(
    *,
    openings: Sequence[ReturnOpening],
    reason: str,
    by,
    note: str = "",
    audit_into: Sequence[list[AuditEntry]] | None = None,
) -> list[int | None]:
    """`device_return_obligation_open` for many devices at once, with the same decisions,
    custody records, obligations, audit events and notices, in a fixed number of statements
    whatever their number and no model instance built (an expiry sweep, docs/architecture.md
    §12.4). Returns, for each opening, the key of the device's open obligation, or None.

    The devices are locked in one query (in key order), and then, as one by one: a device
    already owing its return keeps its first obligation (so does a device named twice: its
    first opening counts); one with nothing to give back gets None. The events of each opening
    (`device.await_return`, `return_obligation.open`) are appended to its list of
    `audit_into` for the caller to write in the same transaction, else recorded here. One
    open obligation per device is the database's (`return_one_open_obligation_per_device`):
    should another opener slip past the lock, the whole call fails, written nothing.
    """
    if reason not in ReturnReason.values:
        raise ValueError(f"unknown return reason: {reason}")
    results: list[int | None] = [None] * len(openings)
    first: dict[int, int] = {}  # device id → index of its first opening
    for index, opening in enumerate(openings):
        first.setdefault(opening.device_id, index)
    if not first:
        return results
    events: list[list[AuditEntry]] = [[] for _opening in openings]
    with transaction.atomic():
        devices = {
            row[0]: row
            for row in Device.objects.select_for_update()
            .filter(pk__in_array=list(first))
            .order_by("pk")
            .values_list("pk", "kind", "serial", "status", "agency_id", "holder_id")
        }
        # Read after the lock: an obligation opened by whoever held a device before is seen.
        existing = dict(
            ReturnObligation.objects.open()
            .filter(device_id__in_array=list(first))
            .values_list("device_id", "pk")
        )
        valid: dict[int, set[str]] = {}
        for device_id, serial in Device.objects.filter(
            pk__in_array=list(first)
        ).valid_certificate_serials():
            valid.setdefault(device_id, set()).add(serial)
        owing: list[tuple[int, tuple]] = []
        for device_id, index in first.items():
            device = devices.get(device_id)
            if device_id in existing:
                results[index] = existing[device_id]
            elif not (
                device is None
                or device[3] not in RETURNABLE
                or device[1] not in PHYSICAL_KINDS
                or device[4] is None
                or valid.get(device_id, set()) - {openings[index].certificate_serial}
            ):
                owing.append((index, device))
        if owing:
            _open_many(owing, openings, results, events, reason=reason, note=note, by=by)
        for index, opening in enumerate(openings):
            if results[index] is None and first[opening.device_id] != index:
                results[index] = results[first[opening.device_id]]
        if audit_into is None:
            audit_record_many(actor=by, entries=[e for entries in events for e in entries])
        else:
            for into, entries in zip(audit_into, events, strict=True):
                into.extend(entries)
    return results


def _open_many(owing, openings, results, events, *, reason, note, by) -> None:
    """Write what `device_return_obligations_open` decided, as rows: each device awaiting its
    return (custody closed and reopened as `_transition` does), its obligation, the events
    and texts its instances would give (`Device.__str__`, `ReturnObligation.__str__`), the
    notices."""
    now = timezone.now()
    by_id = getattr(by, "pk", None)
    label = str(ReturnReason(reason).label)
    kinds = {kind: str(name) for kind, name in DeviceKind.choices}
    moving = [(index, device) for index, device in owing if device[3] != D.AWAITING_RETURN]
    if moving:
        ids = [device[0] for _index, device in moving]
        CustodyRecord.objects.filter(device_id__in_array=ids, held_until__isnull=True).update(
            held_until=now
        )
        Device.objects.filter(pk__in_array=ids).update(status=D.AWAITING_RETURN)
        records = []
        for index, (pk, kind, serial, status, agency_id, holder_id) in moving:
            agency_holds = status in (D.DELIVERED_TO_AGENCY, D.RETURNED_TO_AGENCY)
            holder_kind = H.AGENCY if agency_holds else H.SUBSCRIBER
            records.append(
                (pk, D.AWAITING_RETURN.value, holder_kind.value, agency_id,
                 holder_id if holder_kind == H.SUBSCRIBER else None, now, by_id, "",
                 (note or label)[:500])
            )  # fmt: skip
            events[index].append(
                AuditEntry(
                    "device.await_return",
                    AuditObject(Device, pk, f"{kinds.get(kind, kind)} {serial}"),
                    before={"status": status},
                    after={"status": D.AWAITING_RETURN.value},
                    reason=note or label,
                )
            )
        insert_rows(
            CustodyRecord,
            ["device_id", "status", "holder_kind", "agency_id", "person_id", "held_from",
             "handed_by_id", "document_ref", "note"],
            records,
        )  # fmt: skip
    due = add_working_days_each(
        (openings[index].notified_on for index, _device in owing),
        settings.PORTAL_DEVICE_RETURN_WORKING_DAYS,
    )
    keys = create_rows(
        ReturnObligation,
        ["device_id", "agency_id", "person_id", "certificate_serial", "reason", "notified_on",
         "due_on", "opened_at", "opened_by_id", "close_note"],
        (
            (device[0], device[4], device[5], openings[index].certificate_serial[:40], reason,
             openings[index].notified_on, due[openings[index].notified_on], now, by_id, "")
            for index, device in owing
        ),
    )  # fmt: skip
    text = _("Thu hồi %(device)s trước %(due)s")  # ReturnObligation.__str__
    for (index, device), key in zip(owing, keys, strict=True):
        results[index] = key
        opening = openings[index]
        due_on = due[opening.notified_on]
        events[index].append(
            AuditEntry(
                "return_obligation.open",
                AuditObject(
                    ReturnObligation,
                    key,
                    text % {"device": device[0], "due": due_on.strftime("%d/%m/%Y")},
                ),
                after={
                    "device": device[2],
                    "reason": reason,
                    "notified_on": opening.notified_on,
                    "due_on": due_on,
                    "certificate": opening.certificate_serial,
                },
                reason=note,
            )
        )
    webhook_events_record_many(
        events=[
            obligation_webhook(
                EventType.DEVICE_RETURN_DUE,
                obligation_id=key,
                device_id=device[0],
                serial=device[2],
                agency_id=device[4],
                reason=reason,
                due_on=due[openings[index].notified_on],
            )
            for (index, device), key in zip(owing, keys, strict=True)
        ]
    )
    notify.return_obligations_opened(
        [(device[4], device[2], due[openings[index].notified_on]) for index, device in owing],
        reason_label=ReturnReason(reason).label,
    )
