"""A merger plan's lifecycle: one table in the shape every workflow shares
(portal/lib/lifecycle.py; docs/architecture.md §3).

draft → applying → applied; draft → discarded. The provincial officer of the plan's province
(or an administrator) takes the moves; `orgmerge.permissions` decides from the plan's scope.
The services move only along this table.
"""

from django.utils.translation import gettext_lazy as _

from agencies.choices import Role
from orgmerge.choices import PlanStatus as S
from portal.lib.lifecycle import SYSTEM, Lifecycle, Move, from_each

OFFICER = Role.PROVINCIAL_OFFICER

MOVES: Lifecycle[Move] = Lifecycle([
    Move("replan", from_each({S.DRAFT}, OFFICER), None, _("Lập lại phương án"),
         effect="merger_plan_replan"),
    Move("discard", from_each({S.DRAFT}, OFFICER), S.DISCARDED, _("Hủy phương án"),
         effect="merger_plan_discard"),
    Move("apply", from_each({S.DRAFT}, OFFICER), S.APPLYING, _("Áp dụng phương án"),
         effect="merger_plan_apply"),
    # The worker finishes what `apply` started (merger_plan_run_apply).
    Move("finish", from_each({S.APPLYING}, SYSTEM), S.APPLIED, _("Hoàn tất")),
])  # fmt: skip
