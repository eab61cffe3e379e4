"""What the demand tests share besides their fixtures (tests/demand/conftest.py)."""

from datetime import timedelta

from django.utils import timezone

from certificates import services as ca_services
from certificates.choices import SubjectKind
from demand.services import (
    campaign_open,
    registration_desk_complete,
    registration_desk_prepare,
    summary_desk_complete,
    summary_desk_prepare,
)
from tests.desk import sign_at_desk


def province_campaign(cast):
    """Province 1's officer opens a 2027–2031 campaign due in 20 days."""
    return campaign_open(
        by=cast.officer_1,
        province=cast.province_1,
        start_year=2027,
        end_year=2031,
        due_on=timezone.localdate() + timedelta(days=20),
        reference="12/SKHCN-CNS",
    )


def issue(cast, **kwargs):
    """A certificate from the simulated CA, by default a person's of agency A."""
    kwargs.setdefault("subject_kind", SubjectKind.PERSON)
    kwargs.setdefault("agency", cast.agency_a)
    kwargs.setdefault("by", cast.ca_operator)
    return ca_services.certificate_issue(**kwargs)


def sign_registration(registration, head, revision: int):
    """The head signs the registration at their desk, every round (tests/desk.py)."""
    return sign_at_desk(
        lambda: registration_desk_prepare(registration=registration, by=head, revision=revision),
        lambda answer: registration_desk_complete(
            registration=registration, by=head, answer=answer
        ),
        head,
    )


def sign_summary(campaign, province, officer):
    """The officer signs the province's summary at their desk, every round."""
    return sign_at_desk(
        lambda: summary_desk_prepare(campaign=campaign, province=province, by=officer),
        lambda answer: summary_desk_complete(
            campaign=campaign, province=province, by=officer, answer=answer
        ),
        officer,
    )
