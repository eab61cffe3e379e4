"""Deadline rows of device return obligations (docs/architecture.md §4.9): opened and closed
set-based from the obligations' current state, one statement each."""

from django.db import connection
from django.urls import reverse
from django.utils.translation import gettext as _

from agencies.choices import Role
from portal.models import Deadline

_PK = "987654321"


def return_deadlines_sync() -> dict[str, int]:
    """Open a deadline for each open obligation; close those whose obligation is closed."""
    url = reverse("devices:detail", args=[int(_PK)])
    label = _("Bàn giao lại thiết bị %(serial)s").replace("%", "%%").replace("%%(serial)s", "%1$s")
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
        opened = cursor.rowcount
        cursor.execute(
            "UPDATE portal_deadline dl SET state = %s, closed_at = now()"
            " WHERE dl.kind = %s AND dl.closed_at IS NULL AND NOT EXISTS ("
            "   SELECT 1 FROM devices_returnobligation o"
            "   WHERE o.id = split_part(dl.subject, ':', 2)::bigint"
            "   AND o.closed_at IS NULL AND o.due_on = dl.due_on)",
            [Deadline.State.MET, Deadline.Kind.DEVICE_RETURN],
        )
        closed = cursor.rowcount
    return {"opened": opened, "closed": closed}
