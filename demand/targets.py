"""Which agencies a campaign asks: the active agencies (legal persons with a seal) of its
province, or of the whole country and the ministries for a nationwide one; narrowed to the
provinces a follower follows (docs/domain.md §11)."""

from django.db.models import Exists, OuterRef, Q

from agencies.choices import OrgKind
from agencies.models import Organization
from demand.choices import RegistrationStatus
from demand.models import Registration


def asked(campaign, provinces: list[int] | None = None):
    """The organisations `campaign` asks, within `provinces` (None: all it asks)."""
    kinds = [OrgKind.AGENCY] if campaign.province_id else [OrgKind.AGENCY, OrgKind.MINISTRY]
    agencies = Organization.objects.filter(
        kind__in=kinds, valid_to__isnull=True, superseded_by__isnull=True
    )
    if campaign.province_id:
        agencies = agencies.filter(province_id=campaign.province_id)
    if provinces is not None:
        agencies = agencies.filter(province_id__in=provinces)
    return agencies


def with_answers(campaign, provinces: list[int] | None = None):
    """The asked agencies with their registration's status and time (None: not started)."""
    registrations = Registration.objects.filter(campaign=campaign, agency=OuterRef("pk"))
    return (
        asked(campaign, provinces)
        .annotate(
            answered=Exists(registrations.filter(status=RegistrationStatus.SENT)),
            started=Exists(registrations),
        )
        .select_related("province")
        .order_by("province__name", "name")
    )


def not_answered(campaign, provinces: list[int] | None = None):
    sent = Registration.objects.filter(
        campaign=campaign, agency=OuterRef("pk"), status=RegistrationStatus.SENT
    )
    return asked(campaign, provinces).filter(~Q(Exists(sent)))
