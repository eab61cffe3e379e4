"""Deadline rows of device return obligations (docs/processing.md §4.9): opened and closed
set-based from the obligations' current state, one statement each. The opening INSERT … SELECT
is PostgreSQL's; SQLite (`make run`) inserts the same rows through the ORM. The closing UPDATE
is one statement on both (`portal.lib.dialect`)."""

from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.choices import Role
from devices.models import ReturnObligation
from portal.lib.dialect import now_param, subject_id
from portal.models import Deadline

_PK = "987654321"


def _label() -> str:
    return _("Bàn giao lại thiết bị %(serial)s")


def return_deadlines_sync() -> dict[str, int]:
    """Open a deadline for each open obligation; close those whose obligation is closed."""
    url = reverse("devices:detail", args=[int(_PK)])
    if connection.vendor == "postgresql":  # noqa: SIM108 - the SQLite branch, a block of its own
        opened = _open_on_postgresql(url)
    else:  # pragma: no mutate block (SQLite: testing.md §3)
        opened = _open_elsewhere(url)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE portal_deadline AS dl SET state = %s, closed_at = %s"  # noqa: S608 - dialect
            " WHERE dl.kind = %s AND dl.closed_at IS NULL AND NOT EXISTS ("
            "   SELECT 1 FROM devices_returnobligation o"
            f"   WHERE o.id = {subject_id('dl.subject')}"
            "   AND o.closed_at IS NULL AND o.due_on = dl.due_on)",
            [Deadline.State.MET, now_param(), Deadline.Kind.DEVICE_RETURN],
        )
        closed = cursor.rowcount
    return {"opened": opened, "closed": closed}


def _open_on_postgresql(url: str) -> int:
    label = _label().replace("%", "%%").replace("%%(serial)s", "%1$s")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO portal_deadline (kind, subject, label, url, due_on, state, actor,"
            " agency_id, level, opened_at)"
            " SELECT %s, 'obligation:' || o.id, format(%s, d.serial),"
            " replace(%s, %s, d.id::text), o.due_on, %s, %s, o.agency_id, 0, now()"
            " FROM devices_returnobligation o JOIN devices_device d ON d.id = o.device_id"
            " WHERE o.closed_at IS NULL"
            " ON CONFLICT (kind, subject, due_on) DO NOTHING",
            [
                Deadline.Kind.DEVICE_RETURN,
                label,
                url,
                _PK,
                Deadline.State.OPEN,
                Role.AGENCY_CLERK,
            ],
        )
        return cursor.rowcount


def _open_elsewhere(url: str) -> int:  # pragma: no mutate block (SQLite: testing.md §3)
    """The same rows through the ORM (SQLite), counted by the rows of the kind it added."""
    now = timezone.now()
    label = _label()
    rows = [
        Deadline(
            kind=Deadline.Kind.DEVICE_RETURN,
            subject=f"obligation:{pk}",
            label=label % {"serial": serial},
            url=url.replace(_PK, str(device_id)),
            due_on=due_on,
            state=Deadline.State.OPEN,
            actor=Role.AGENCY_CLERK,
            agency_id=agency_id,
            level=0,
            opened_at=now,
        )
        for pk, serial, device_id, due_on, agency_id in ReturnObligation.objects.filter(
            closed_at__isnull=True
        ).values_list("pk", "device__serial", "device_id", "due_on", "agency_id")
    ]
    of_kind = Deadline.objects.filter(kind=Deadline.Kind.DEVICE_RETURN)
    before = of_kind.count()
    Deadline.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return of_kind.count() - before
