"""A letter's page shows its clock (docs/processing.md §4.9): the step it waits on, who must
act, the due date with the working days left or overdue, the escalation level, and the
deadlines it met before; only to those who may see the letter."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from requests_app.choices import FormKind, Status
from requests_app.deadlines import deadlines_sweep
from requests_app.models import CertRequest
from tests.deadlines.moments import on, waiting_letter
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


def _page(client, user, letter, day: date) -> str:
    sign_in(client, user)
    with on(day):
        response = client.get(reverse("requests_app:detail", args=[letter.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_letter_at_the_province_shows_the_provinces_step_due_date_and_days_left(cast, client):
    # Due Thursday 05/3/2026; seen on Monday 02/3: three working days left (3, 4, 5 March).
    letter = waiting_letter(cast, status=Status.PROVINCE_REVIEW, due_on=date(2026, 3, 5))
    page = _page(client, cast.clerk_a, letter, date(2026, 3, 2))
    assert "data-clock-current" in page
    assert "Sở KH&amp;CN xem xét" in page
    assert 'data-clock-due="2026-03-05"' in page and "05/03/2026" in page
    assert 'data-clock-left="3"' in page and "còn 3 ngày làm việc" in page


def test_an_overdue_letter_shows_the_working_days_overdue_and_the_escalation(cast, client):
    letter = waiting_letter(cast, status=Status.PROVINCE_REVIEW, due_on=date(2026, 3, 5))
    with on(date(2026, 3, 9)):  # Monday: two working days late (6 and 9 March)
        deadlines_sweep()
    page = _page(client, cast.clerk_a, letter, date(2026, 3, 9))
    assert 'data-clock-overdue="2"' in page and "quá hạn 2 ngày làm việc" in page
    assert 'data-clock-level="2"' in page


def test_a_forwarded_letter_shows_the_cas_step_and_the_provinces_step_as_met(cast, client):
    letter = waiting_letter(cast, status=Status.PROVINCE_REVIEW, due_on=date(2026, 3, 5))
    with on(date(2026, 3, 3)):
        deadlines_sweep()
    CertRequest.objects.filter(pk=letter.pk).update(
        status=Status.FORWARDED, due_on=date(2026, 3, 9), forwarded_at=timezone.now()
    )
    with on(date(2026, 3, 4)):
        deadlines_sweep()
    page = _page(client, cast.clerk_a, letter, date(2026, 3, 4))
    assert "CA xử lý (3 ngày làm việc)" in page
    assert "data-clock-past" in page
    assert "Sở KH&amp;CN xem xét: hạn 05/03/2026 · Đã hoàn thành" in page


def test_a_recovery_letter_runs_against_the_1_working_day_recovery(cast, client):
    letter = waiting_letter(
        cast, status=Status.PROVINCE_REVIEW, due_on=date(2026, 3, 3), form=FormKind.RECOVER_DEVICE
    )
    page = _page(client, cast.clerk_a, letter, date(2026, 3, 3))
    assert "Khôi phục thiết bị (1 ngày làm việc)" in page
    assert 'data-clock-left="0"' in page and "hết hạn trong hôm nay" in page


def test_a_finished_letter_with_no_deadline_shows_no_clock(cast, client):
    letter = waiting_letter(cast, status=Status.DONE, due_on=date(2026, 3, 5))
    page = _page(client, cast.clerk_a, letter, date(2026, 3, 9))
    assert "data-clock" not in page


def test_the_clock_is_not_shown_to_another_agency(cast, client):
    letter = waiting_letter(cast, status=Status.PROVINCE_REVIEW, due_on=date(2026, 3, 5))
    sign_in(client, cast.clerk_b)
    response = client.get(reverse("requests_app:detail", args=[letter.pk]))
    assert response.status_code == 404
