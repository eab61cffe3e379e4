"""The deadline rows of a campaign (docs/architecture.md §4.9): one per asked agency that has
not sent its registration, due on the campaign's date, for its clerks to act; the common
escalation sweep (`agencies.deadlines.deadlines_escalate`) climbs clerk → head → province →
CA once it is overdue. Opened and closed set-based from the current state, idempotent
(unique kind, subject, due date), in the ORM so that the demo's SQLite runs it too."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from demand.choices import RegistrationStatus
from demand.models import Campaign, Registration
from demand.targets import not_answered
from portal.models import Deadline

KIND = Deadline.Kind.DEMAND_RESPONSE


def subject_of(campaign_id: int, agency_id: int) -> str:
    return f"demand:{campaign_id}:{agency_id}"


def deadlines_met(campaign_id: int, agency_ids) -> int:
    subjects = [subject_of(campaign_id, pk) for pk in agency_ids]
    return Deadline.objects.filter(kind=KIND, subject__in=subjects, closed_at=None).update(
        state=Deadline.State.MET, closed_at=timezone.now()
    )


def demand_deadlines_sync(*, campaign: Campaign | None = None) -> dict[str, int]:
    """Open a deadline for each asked agency without a sent registration; close those met,
    and every one of a closed campaign."""
    campaigns = (
        Campaign.objects.all() if campaign is None else Campaign.objects.filter(pk=campaign.pk)
    )
    opened = closed = 0
    for current in campaigns.filter(closed_at=None):
        label = _("Gửi đăng ký nhu cầu chứng thư số giai đoạn %(period)s") % {
            "period": current.period
        }
        url = reverse("demand:register", args=[current.pk])
        rows = [
            Deadline(
                kind=KIND,
                subject=subject_of(current.pk, agency_id),
                label=label,
                url=url,
                due_on=current.due_on,
                actor=Deadline.Actor.CLERK,
                agency_id=agency_id,
            )
            for agency_id in not_answered(current).values_list("pk", flat=True).iterator()
        ]
        before = Deadline.objects.filter(kind=KIND, subject__startswith=f"demand:{current.pk}:")
        count = before.count()
        Deadline.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
        opened += before.count() - count
        sent = Registration.objects.filter(
            campaign=current, status=RegistrationStatus.SENT
        ).values_list("agency_id", flat=True)
        closed += deadlines_met(current.pk, list(sent))
        # A due date moved (the campaign extended): the rows of the old date close.
        closed += (
            before.filter(closed_at=None)
            .exclude(due_on=current.due_on)
            .update(closed_at=timezone.now())
        )
    for ended in campaigns.exclude(closed_at=None):
        closed += Deadline.objects.filter(
            kind=KIND, subject__startswith=f"demand:{ended.pk}:", closed_at=None
        ).update(closed_at=timezone.now())
    return {"opened": opened, "closed": closed}


# A reminder goes to the agencies that have not answered this many working days before the
# due date; after it, the escalation sweep takes over (docs/architecture.md §4.9).
DUE_SOON_WORKING_DAYS = 3


def demand_due_soon_remind(*, today=None) -> int:
    """Tell the clerks and heads of every agency that has not answered an open campaign due
    within DUE_SOON_WORKING_DAYS; once per user and campaign (a notification key)."""
    from django.contrib.auth import get_user_model

    from agencies.choices import Role
    from agencies.models import Membership
    from portal.notifications import notify
    from portal.workdays import working_days_between

    today = today or timezone.localdate()
    told = 0
    for campaign in Campaign.objects.open().filter(due_on__gte=today):
        if working_days_between(today, campaign.due_on) > DUE_SOON_WORKING_DAYS:
            continue
        members = Membership.objects.filter(
            role__in=(Role.AGENCY_CLERK, Role.AGENCY_HEAD),
            organization__in=not_answered(campaign),
        )
        told += notify(
            users=get_user_model().objects.filter(pk__in=members.values("user"), is_active=True),
            message=_(
                "Sắp đến hạn (%(date)s): cơ quan của bạn chưa gửi đăng ký nhu cầu chứng thư "
                "số giai đoạn %(period)s."
            )
            % {"date": campaign.due_on.strftime("%d/%m/%Y"), "period": campaign.period},
            url=reverse("demand:register", args=[campaign.pk]),
            subject=f"demand:{campaign.pk}",
            kind="demand",
            key=f"demand:{campaign.pk}:due-soon",
        )
    return told
