"""The requests' retention periods at their edges (docs/retention.md §2): a day inside the
period keeps the record as it is, a day past it deletes the draft or minimises the letter."""

from datetime import timedelta

import pytest
from django.utils import timezone

from requests_app.choices import FormKind, Status
from requests_app.models import CertRequest
from requests_app.services.retention import requests_retention_sweep

pytestmark = pytest.mark.django_db


def _letter(cast, *, status, **dates):
    letter = CertRequest.objects.create(
        form=FormKind.ISSUE_PERSON, agency=cast.agency_a, status=status, created_by=cast.clerk_a,
        contact_name="Nguyễn Thị Thu Hà", contact_national_id="001190000001",
        contact_mobile="0912100101",
    )  # fmt: skip
    CertRequest.objects.filter(pk=letter.pk).update(**dates)
    return letter


def test_it_keeps_a_draft_180_days_old_and_deletes_one_181_days_old(cast, settings):
    assert settings.PORTAL_RETENTION_DRAFT_DAYS == 180
    now = timezone.now()
    kept = [
        _letter(cast, status=Status.DRAFT, updated_at=now - timedelta(days=days))
        for days in (179, 180)  # 180: at the end of the period, not past it
    ]
    gone = _letter(cast, status=Status.DRAFT, updated_at=now - timedelta(days=181))

    assert requests_retention_sweep(now=now)["drafts"] == 1

    assert set(CertRequest.objects.values_list("pk", flat=True)) == {k.pk for k in kept}
    assert not CertRequest.objects.filter(pk=gone.pk).exists()


def test_it_keeps_a_letter_closed_ten_years_ago_and_minimises_one_closed_a_day_earlier(
    cast, settings
):
    assert settings.PORTAL_RETENTION_RECORD_YEARS == 10
    now = timezone.now().replace(month=6, day=15)  # no 29 February
    ten_years = now.replace(year=now.year - 10)  # not years_before: the rule under test
    kept = [
        _letter(cast, status=Status.DONE, done_at=ten_years + timedelta(days=days))
        for days in (1, 0)  # ten years less a day, and exactly ten years: not past the period
    ]
    minimised = _letter(cast, status=Status.DONE, done_at=ten_years - timedelta(days=1))

    assert requests_retention_sweep(now=now)["letters"] == 1

    minimised.refresh_from_db()
    for letter in kept:
        letter.refresh_from_db()
        assert (letter.contact_national_id, letter.contact_mobile, letter.deidentified_at) == (
            "001190000001", "0912100101", None,
        )  # fmt: skip
    assert (minimised.contact_national_id, minimised.contact_mobile) == ("", "")
    assert minimised.deidentified_at == now
