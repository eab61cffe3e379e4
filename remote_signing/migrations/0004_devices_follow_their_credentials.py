"""A remote credential's device follows the credential (docs/remote-signing.md, "Mẫu 06"):
credentials locked or activated before the device moved with them get the device's state they
would have had, so that a locked one can be recovered with a Mẫu 06 (a locked device) and the
CA never has to unlock it another way. Backwards: nothing to undo (the states stay true)."""

from django.db import migrations
from django.utils import timezone

MOVED_FROM = ("delivered_to_agency", "handed_to_subscriber")
NOTE = "Theo trạng thái của khóa ký số tập trung"


def devices_follow(apps, schema_editor):
    SoleControl = apps.get_model("remote_signing", "SoleControl")
    CustodyRecord = apps.get_model("devices", "CustodyRecord")
    Device = apps.get_model("devices", "Device")
    now = timezone.now()
    wanted = {"locked": ("locked", MOVED_FROM), "active": ("handed_to_subscriber", MOVED_FROM[:1])}
    for control_state, (target, sources) in wanted.items():
        devices = Device.objects.filter(
            credential__control__state=control_state, status__in=sources
        )
        for device in devices:
            CustodyRecord.objects.filter(device=device, held_until__isnull=True).update(
                held_until=now
            )
            CustodyRecord.objects.create(
                device=device, status=target, holder_kind="subscriber", agency=device.agency,
                person=device.holder, held_from=now, note=NOTE,
            )  # fmt: skip
            device.status = target
            device.save(update_fields=["status"])


class Migration(migrations.Migration):
    dependencies = [
        ("devices", "0018_remote_credential"),
        ("remote_signing", "0003_sim_pki"),
    ]

    operations = [migrations.RunPython(devices_follow, migrations.RunPython.noop)]
