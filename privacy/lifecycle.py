"""An incident's lifecycle: one table in the shape every workflow shares
(portal/lib/lifecycle.py; docs/architecture.md §3).

recorded → notified (the authority has been told) → closed. The data protection officer (or
an administrator) takes the moves; the services move only along this table.
"""

from django.utils.translation import gettext_lazy as _

from agencies.choices import Role
from portal.lib.lifecycle import Lifecycle, Move, from_each
from privacy.choices import IncidentStatus as S

DPO = Role.DATA_PROTECTION_OFFICER

MOVES: Lifecycle[Move] = Lifecycle([
    Move("notify", from_each({S.RECORDED}, DPO), S.NOTIFIED,
         _("Đã thông báo cơ quan chức năng"), effect="incident_mark_notified",
         button=_("Ghi nhận đã thông báo"), url="privacy:incident_notify"),
    Move("close", from_each({S.NOTIFIED}, DPO), S.CLOSED, _("Kết thúc xử lý sự cố"),
         effect="incident_close", button=_("Kết thúc sự cố"), style="secondary",
         url="privacy:incident_close"),
])  # fmt: skip
