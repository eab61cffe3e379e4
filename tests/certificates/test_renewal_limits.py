"""The CA service's own limits (docs/domain.md §5), not only the drafting rules: a certificate is
renewed, or its information changed, only with at least 30 days of validity left, counted to
the second when the CA acts; each limit is its own setting.

The clock stands still on a whole second, so "30 days left" is exactly 30 days.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from certificates import services
from certificates.choices import CertStatus
from certificates.exceptions import CertificateError
from certificates.models import Certificate

pytestmark = pytest.mark.django_db

ONE_SECOND = timedelta(seconds=1)


@pytest.fixture
def now(time_machine):
    instant = timezone.now().replace(microsecond=0)
    time_machine.move_to(instant, tick=False)
    return instant


def renew(certificate, cast):
    return services.certificate_renew(certificate=certificate, by=cast.officer_1)


def change_info(certificate, cast):
    return services.certificate_change_info(
        certificate=certificate, by=cast.officer_1, common_name="Lò Thị Mai Anh"
    )


OPERATIONS = {"renew": renew, "change_info": change_info}


def assert_refused_and_untouched(operation, certificate, cast, days: int):
    count = Certificate.objects.count()
    with pytest.raises(CertificateError) as refused:
        OPERATIONS[operation](certificate, cast)
    assert refused.value.code == "too_late"
    assert f"dưới {days} ngày" in refused.value.message
    certificate.refresh_from_db()
    assert certificate.status == CertStatus.VALID
    assert certificate.superseded_by_id is None
    assert Certificate.objects.count() == count


def assert_superseded(operation, certificate, cast):
    new = OPERATIONS[operation](certificate, cast)
    certificate.refresh_from_db()
    assert new.status == CertStatus.VALID
    assert certificate.status == CertStatus.REVOKED
    assert certificate.superseded_by == new
    return new


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_the_ca_refuses_with_one_second_less_than_30_days_left(issue, cast, now, operation):
    certificate = issue(not_after=now + timedelta(days=30) - ONE_SECOND)

    assert_refused_and_untouched(operation, certificate, cast, days=30)


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_the_ca_refuses_with_29_days_left(issue, cast, now, operation):
    certificate = issue(not_after=now + timedelta(days=29))

    assert_refused_and_untouched(operation, certificate, cast, days=30)


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_the_ca_accepts_with_exactly_30_days_left(issue, cast, now, operation):
    certificate = issue(not_after=now + timedelta(days=30))

    assert_superseded(operation, certificate, cast)


def test_the_renewal_limit_is_its_own_setting(issue, cast, now, settings):
    settings.PORTAL_RENEW_MIN_DAYS_LEFT = 45
    settings.PORTAL_CHANGE_MIN_DAYS_LEFT = 30
    short = issue(not_after=now + timedelta(days=45) - ONE_SECOND)
    enough = issue(not_after=now + timedelta(days=45))

    assert_refused_and_untouched("renew", short, cast, days=45)
    assert_superseded("renew", enough, cast)
    assert_superseded("change_info", short, cast)


def test_the_change_of_information_limit_is_its_own_setting(issue, cast, now, settings):
    settings.PORTAL_RENEW_MIN_DAYS_LEFT = 30
    settings.PORTAL_CHANGE_MIN_DAYS_LEFT = 45
    short = issue(not_after=now + timedelta(days=45) - ONE_SECOND)
    enough = issue(not_after=now + timedelta(days=45))

    assert_refused_and_untouched("change_info", short, cast, days=45)
    assert_superseded("change_info", enough, cast)
    assert_superseded("renew", short, cast)


def test_a_certificate_that_drops_under_30_days_can_no_longer_be_renewed(
    issue, cast, now, time_machine
):
    certificate = issue(not_after=now + timedelta(days=40))
    time_machine.move_to(now + timedelta(days=10) + ONE_SECOND, tick=False)

    assert_refused_and_untouched("renew", certificate, cast, days=30)
