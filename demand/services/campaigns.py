"""Opening, closing and reminding a demand campaign (docs/domain.md §11)."""

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from agencies.access import scope_for
from agencies.choices import OrgKind
from agencies.models import Organization
from agencies.validators import nfc
from demand import permissions
from demand.audience import staff_of, table_url
from demand.choices import MAX_PERIOD_YEARS
from demand.models import Campaign
from demand.services.deadlines import demand_deadlines_sync
from demand.targets import not_answered
from portal.audit import audit_record
from portal.errors import DomainError
from portal.notifications import notify
from portal.texts import text


def _check_period(start_year: int, end_year: int, due_on: date) -> None:
    if end_year < start_year or end_year - start_year >= MAX_PERIOD_YEARS:
        raise DomainError(
            _("Giai đoạn phải từ 1 đến %(n)s năm, năm kết thúc không trước năm bắt đầu.")
            % {"n": MAX_PERIOD_YEARS},
            code="bad_period",
        )
    if due_on < timezone.localdate():
        raise DomainError(_("Hạn gửi không được trước ngày hôm nay."), code="past_due")


def _owner(by, province) -> Organization:
    """The organisation that opens: the CA's for a nationwide campaign, the province's Sở
    KH&CN for the province's own."""
    if province is None:
        permissions.require(permissions.may_open_nationwide(by))
        owner = Organization.objects.filter(kind=OrgKind.CA).order_by("pk").first()
    else:
        permissions.require(permissions.may_send_summary(by, province))
        owner = Organization.objects.provincial_office_of(province)
    if owner is None:
        raise DomainError(_("Không tìm thấy đơn vị mở đợt đăng ký."), code="no_owner")
    return owner


def campaign_open(
    *,
    by,
    province: Organization | None,
    start_year: int,
    end_year: int,
    due_on: date,
    reference: str = "",
    note: str = "",
) -> Campaign:
    """Open a campaign: nationwide (`province` None, the CA) or for a province's agencies
    (its officer). Every asked agency gets its deadline and its clerks and heads are told.
    One open campaign per opener and period (a database constraint): a double click opens one."""
    _check_period(start_year, end_year, due_on)
    owner = _owner(by, province)
    with translation.override("vi"):  # the subject of an official letter, whoever opens it
        title = _("Đề xuất nhu cầu cấp mới chứng thư số giai đoạn %(start)s-%(end)s") % {
            "start": start_year,
            "end": end_year,
        }
    try:
        with transaction.atomic():
            campaign = Campaign.objects.create(
                title=title,
                reference=nfc(reference.strip()),
                province=province,
                owner=owner,
                start_year=start_year,
                end_year=end_year,
                due_on=due_on,
                note=nfc(note.strip()),
                opened_by=by,
            )
            audit_record(
                actor=by,
                action="demand_campaign.open",
                obj=campaign,
                after={
                    "period": campaign.period,
                    "due_on": due_on.isoformat(),
                    "province": province.pk if province else None,
                },
            )
            demand_deadlines_sync(campaign=campaign)
            notify(
                users=staff_of(not_answered(campaign)),
                message=text(
                    gettext_noop(
                        "%(owner)s đề nghị đăng ký nhu cầu chứng thư số giai đoạn %(period)s, "
                        "hạn gửi %(date)s."
                    ),
                    owner=owner.name,
                    period=campaign.period,
                    date=due_on.strftime("%d/%m/%Y"),
                ),
                url=table_url(campaign.pk),
                subject=f"demand:{campaign.pk}",
                kind="demand",
            )
    except IntegrityError as exc:  # a double click, or a colleague a moment earlier
        raise DomainError(
            _("Đã có đợt đăng ký đang mở cho giai đoạn này."), code="duplicate"
        ) from exc
    return campaign


def _lock(campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


def may_close(user, campaign) -> bool:
    if campaign.is_nationwide:
        return permissions.may_open_nationwide(user)
    return permissions.may_send_summary(user, campaign.province)


def campaign_close(*, campaign: Campaign, by) -> Campaign:
    """End the campaign: no more registrations; its open deadlines close."""
    permissions.require(may_close(by, campaign))
    with transaction.atomic():
        locked = _lock(campaign)
        if locked.closed_at is not None:
            raise DomainError(_("Đợt đăng ký này đã kết thúc."), code="closed")
        locked.closed_at = timezone.now()
        locked.save(update_fields=["closed_at"])
        audit_record(
            actor=by,
            action="demand_campaign.close",
            obj=locked,
            before={"closed": False},
            after={"closed": True},
        )
        demand_deadlines_sync(campaign=locked)
    return locked


def campaign_remind(*, campaign: Campaign, by) -> int:
    """Remind the clerks and heads of the agencies (that `by` follows) that have not sent
    their registration; once a day per person, whoever presses the button."""
    permissions.require(permissions.follows(by, campaign))
    if campaign.closed_at is not None:
        raise DomainError(_("Đợt đăng ký này đã kết thúc."), code="closed")
    missing = not_answered(campaign, permissions.followed_provinces(by, campaign))
    today = timezone.localdate()
    with transaction.atomic():
        count = notify(
            users=staff_of(missing),
            message=text(
                gettext_noop(
                    "Nhắc: cơ quan của bạn chưa gửi đăng ký nhu cầu chứng thư số giai đoạn "
                    "%(period)s (hạn %(date)s)."
                ),
                period=campaign.period,
                date=campaign.due_on.strftime("%d/%m/%Y"),
            ),
            url=table_url(campaign.pk),
            subject=f"demand:{campaign.pk}",
            kind="demand",
            key=f"demand:{campaign.pk}:remind:{today.isoformat()}",
        )
        audit_record(
            actor=by,
            action="demand_campaign.remind",
            obj=campaign,
            after={"agencies": missing.count(), "users": count},
        )
    return count


def opener_provinces(user) -> list[Organization]:
    """The provinces whose own campaign `user` may open."""
    scope = scope_for(user)
    return list(
        Organization.objects.filter(pk__in=scope.province_ids, kind=OrgKind.PROVINCE).order_by(
            "name"
        )
    )
