"""The deadline rows of a campaign (docs/processing.md §4.9): one per asked agency that has
not sent its registration, due on the campaign's date, for its clerks to act; the common
escalation sweep (`agencies.deadlines.deadlines_escalate`) climbs clerk → head → province →
CA once it is overdue. Opened and closed set-based from the current state, idempotent
(unique kind, subject, due date), in the ORM so that the demo's SQLite runs it too."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from demand.audience import staff_of, table_url
from demand.choices import RegistrationStatus
from demand.models import Campaign, Registration
from demand.targets import asked, not_answered
from portal.models import Deadline
from portal.notifications import notify
from portal.texts import text
from portal.workdays import working_days_between

KIND = Deadline.Kind.DEMAND_RESPONSE
# A reminder goes to the agencies that have not answered this many working days before the
# due date; after it, the escalation sweep takes over.
DUE_SOON_WORKING_DAYS = 3


def subject_of(campaign_id: int, agency_id: int) -> str:
    return f"demand:{campaign_id}:{agency_id}"


def deadlines_met(campaign_id: int, agency_ids) -> int:
    subjects = [subject_of(campaign_id, pk) for pk in agency_ids]
    return Deadline.objects.filter(kind=KIND, subject__in=subjects, closed_at=None).update(
        state=Deadline.State.MET, closed_at=timezone.now()
    )


def _of_campaign(campaign_id: int):
    return Deadline.objects.filter(kind=KIND, subject__startswith=f"demand:{campaign_id}:")


def demand_deadlines_sync(*, campaign: Campaign | None = None) -> dict[str, int]:
    """Open a deadline for each asked agency without a sent registration; close those met,
    those of a moved due date or of an agency no longer asked (merged away), and every one
    of a closed campaign."""
    campaigns = Campaign.objects.all()
    if campaign is not None:
        campaigns = campaigns.filter(pk=campaign.pk)
    opened = closed = 0
    for current in campaigns.filter(closed_at=None):
        label = _("Gửi đăng ký nhu cầu chứng thư số giai đoạn %(period)s") % {
            "period": current.period
        }
        rows = [
            Deadline(
                kind=KIND,
                subject=subject_of(current.pk, agency_id),
                label=label,
                url=table_url(current.pk, agency_id),
                due_on=current.due_on,
                actor=Deadline.Actor.CLERK,
                agency_id=agency_id,
            )
            for agency_id in not_answered(current).values_list("pk", flat=True).iterator()
        ]
        existing = _of_campaign(current.pk)
        count = existing.count()
        Deadline.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
        opened += existing.count() - count
        sent = Registration.objects.filter(
            campaign=current, status=RegistrationStatus.SENT
        ).values_list("agency_id", flat=True)
        closed += deadlines_met(current.pk, list(sent))
        still_open = existing.filter(closed_at=None)
        closed += still_open.exclude(due_on=current.due_on).update(  # the campaign was extended
            closed_at=timezone.now()
        )
        closed += still_open.exclude(agency_id__in=asked(current).values("pk")).update(
            closed_at=timezone.now()
        )  # merged away
    for ended in campaigns.exclude(closed_at=None):
        closed += _of_campaign(ended.pk).filter(closed_at=None).update(closed_at=timezone.now())
    return {"opened": opened, "closed": closed}


def demand_due_soon_remind(*, today=None) -> int:
    """Tell the clerks and heads of every agency that has not answered an open campaign due
    within DUE_SOON_WORKING_DAYS; once per user and campaign (a notification key)."""
    today = today or timezone.localdate()
    told = 0
    for campaign in Campaign.objects.open().filter(due_on__gte=today):
        if working_days_between(today, campaign.due_on) > DUE_SOON_WORKING_DAYS:
            continue
        told += notify(
            users=staff_of(not_answered(campaign)),
            message=text(
                gettext_noop(
                    "Sắp đến hạn (%(date)s): cơ quan của bạn chưa gửi đăng ký nhu cầu chứng thư "
                    "số giai đoạn %(period)s."
                ),
                date=campaign.due_on.strftime("%d/%m/%Y"),
                period=campaign.period,
            ),
            url=table_url(campaign.pk),
            subject=f"demand:{campaign.pk}",
            kind="demand",
            key=f"demand:{campaign.pk}:due-soon",
        )
    return told
