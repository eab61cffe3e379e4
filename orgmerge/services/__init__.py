"""Every write on merger plans (docs/domain.md §6)."""

from orgmerge.services.apply import (
    enqueue_apply,
    merger_plan_apply,
    merger_plan_resume_stalled,
    merger_plan_run_apply,
)
from orgmerge.services.approval import merger_plan_apply_request
from orgmerge.services.plans import (
    merger_plan_create,
    merger_plan_discard,
    merger_plan_replan,
    plan_key,
)

__all__ = [
    "enqueue_apply",
    "merger_plan_apply",
    "merger_plan_apply_request",
    "merger_plan_create",
    "merger_plan_discard",
    "merger_plan_replan",
    "merger_plan_resume_stalled",
    "merger_plan_run_apply",
    "plan_key",
]
