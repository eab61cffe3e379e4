"""A bulk job's lifecycle, in the shape every workflow shares (portal/lib/lifecycle.py;
docs/bulk.md): waiting_approval → queued (approved) or cancelled (rejected, expired,
withdrawn); queued → running → done or failed; a running job without a sign of life goes
back to queued (the stall sweep), and is counted as a new attempt when a worker takes it. Every move is the portal's own: the user's
acts are confirming the job (which creates it) and, for an approval, the approvers'."""

from django.utils.translation import gettext_lazy as _

from bulk.choices import JobStatus as S
from portal.lib.lifecycle import SYSTEM, Lifecycle, Move, from_each

MOVES: Lifecycle[Move] = Lifecycle([
    Move("queue", from_each({S.WAITING_APPROVAL}, SYSTEM), S.QUEUED, _("Xếp hàng thực hiện"),
         effect="bulk_job_queue_approved"),
    Move("cancel", from_each({S.WAITING_APPROVAL}, SYSTEM), S.CANCELLED, _("Hủy"),
         effect="bulk_jobs_sweep"),
    Move("start", from_each({S.QUEUED}, SYSTEM), S.RUNNING, _("Bắt đầu"),
         effect="bulk_job_run"),
    Move("requeue", from_each({S.RUNNING}, SYSTEM), S.QUEUED, _("Xếp hàng lại"),
         effect="bulk_jobs_sweep"),
    # from queued too: a worker thought lost may end its last batch after the sweep requeued it
    Move("finish", from_each({S.QUEUED, S.RUNNING}, SYSTEM), S.DONE, _("Hoàn tất"),
         effect="bulk_job_run"),
    Move("fail", from_each({S.QUEUED, S.RUNNING}, SYSTEM), S.FAILED, _("Không thành công"),
         effect="bulk_job_run"),
])  # fmt: skip
