"""A registration's lifecycle: one table in the shape every workflow shares
(portal/lib/lifecycle.py; docs/architecture.md §3).

draft → awaiting_head (submit) → draft (send back, with a reason); draft or awaiting_head →
sent (the head signs); the table is saved while draft or awaiting_head. The roles are the
agency's (`demand.permissions` decides whose agency); the services move only along this
table, on the locked row.
"""

from django.utils.translation import gettext_lazy as _

from agencies.choices import Role
from demand.choices import RegistrationStatus as S
from portal.lib.lifecycle import Lifecycle, Move, from_each

AGENCY = (Role.AGENCY_CLERK, Role.AGENCY_HEAD)
OPEN = {S.DRAFT, S.AWAITING_HEAD}

MOVES: Lifecycle[Move] = Lifecycle([
    Move("save", from_each(OPEN, AGENCY), None, _("Lưu bảng đăng ký"),
         effect="registration_save"),
    Move("submit", from_each({S.DRAFT}, AGENCY), S.AWAITING_HEAD, _("Trình lãnh đạo ký"),
         effect="registration_submit"),
    Move("send_back", from_each({S.AWAITING_HEAD}, Role.AGENCY_HEAD), S.DRAFT,
         _("Lãnh đạo trả lại"), effect="registration_send_back"),
    # Signed at the desk with the head's own device (registration_desk_prepare, then this).
    Move("sign", from_each(OPEN, Role.AGENCY_HEAD), S.SENT, _("Ký và gửi"),
         effect="registration_desk_complete"),
])  # fmt: skip
