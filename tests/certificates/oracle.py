"""What a set-based writer wrote, for comparing it with the one-by-one loop it replaced
(the expiry sweep, `certificate_revoke_many`): the audit events, the return obligations, the
devices, the custody records opened and the notifications since a point, without the keys and
times that differ between two runs."""

from devices.models import CustodyRecord, Device, ReturnObligation
from portal.models import AuditEvent, Notification


def written_since(since_seq, since_custody, since_notification) -> dict:
    obligation_device = dict(ReturnObligation.objects.values_list("pk", "device_id"))

    def object_id(event):
        if event.object_type == "devices.returnobligation":
            return f"obligation of device {obligation_device[int(event.object_id)]}"
        return event.object_id

    return {
        "audit": [
            (
                e.action,
                e.object_type,
                object_id(e),
                e.object_repr,
                e.before,
                e.after,
                e.reason,
                e.actor_id,
            )
            for e in AuditEvent.objects.filter(seq__gt=since_seq).order_by("seq")
        ],  # fmt: skip
        "obligations": sorted(
            ReturnObligation.objects.values_list(
                "device_id",
                "agency_id",
                "person_id",
                "certificate_serial",
                "reason",
                "notified_on",
                "due_on",
                "opened_by_id",
                "closed_at",
            )
        ),  # fmt: skip
        "devices": dict(Device.objects.values_list("pk", "status")),
        "custody opened": sorted(
            CustodyRecord.objects.filter(pk__gt=since_custody).values_list(
                "device_id",
                "status",
                "holder_kind",
                "agency_id",
                "person_id",
                "handed_by_id",
                "document_ref",
                "note",
                "held_until",
            )
        ),  # fmt: skip
        "notifications": sorted(
            Notification.objects.filter(pk__gt=since_notification).values_list(
                "user_id", "message", "url", "subject", "kind", "key"
            )
        ),
    }
