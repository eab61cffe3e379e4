"""The SLA watch (docs/processing.md §4.9): deadline rows opened and closed from the letters'
and obligations' state, overdue counted in working days, escalated one level per working day
(clerk → agency head → provincial officer → CA), one message per level."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from devices.models import ReturnObligation
from portal.models import Deadline, Notification
from portal.workdays import add_working_days
from requests_app.choices import FormKind, Status
from requests_app.deadlines import deadlines_sweep
from requests_app.models import CertRequest
from tests.deadlines.moments import on, return_obligation, waiting_letter

pytestmark = pytest.mark.django_db


def _sweep_on(day: date):
    with on(day):
        return deadlines_sweep()


def _told(deadline, level=None):
    keys = Notification.objects.filter(subject=f"deadline:{deadline.pk}")
    if level is not None:
        keys = keys.filter(key=f"deadline:{deadline.pk}:level:{level}")
    return sorted(keys.values_list("user__username", flat=True))


# --- opening and closing -------------------------------------------------------------------


def test_a_letter_under_province_review_opens_a_deadline_for_the_province(cast):
    letter = waiting_letter(cast, status=Status.PROVINCE_REVIEW, due_on=date(2026, 3, 5))
    _sweep_on(date(2026, 3, 2))
    deadline = Deadline.objects.get(subject=f"letter:{letter.pk}")
    assert (deadline.kind, deadline.actor, deadline.state, deadline.due_on) == (
        "province_review",
        "provincial_officer",
        "open",
        date(2026, 3, 5),
    )
    assert deadline.label == "Văn bản số 15/STC-VP của Sở Tài chính tỉnh Lai Châu"
    assert deadline.url == reverse("requests_app:detail", args=[letter.pk])


def test_a_forwarded_letter_opens_the_cas_3_working_days(cast):
    letter = waiting_letter(cast, status=Status.FORWARDED, due_on=date(2026, 3, 5), forwarded=True)
    _sweep_on(date(2026, 3, 2))
    deadline = Deadline.objects.get(subject=f"letter:{letter.pk}")
    assert (deadline.kind, deadline.actor) == ("ca_processing", "ca_operator")


def test_a_recovery_letter_opens_the_1_working_day_recovery_deadline(cast):
    letter = waiting_letter(
        cast, status=Status.PROVINCE_REVIEW, due_on=date(2026, 3, 3), form=FormKind.RECOVER_DEVICE
    )
    _sweep_on(date(2026, 3, 2))
    assert Deadline.objects.get(subject=f"letter:{letter.pk}").kind == "recovery"


def test_the_deadline_is_met_and_its_messages_closed_when_the_letter_moves_on(cast):
    letter = waiting_letter(cast, status=Status.PROVINCE_REVIEW, due_on=date(2026, 3, 5))
    _sweep_on(date(2026, 3, 6))
    deadline = Deadline.objects.get(subject=f"letter:{letter.pk}")
    assert deadline.state == "overdue"
    assert _told(deadline) == ["officer_1"]
    CertRequest.objects.filter(pk=letter.pk).update(status=Status.DONE)
    _sweep_on(date(2026, 3, 9))
    deadline.refresh_from_db()
    assert deadline.state == "met" and deadline.closed_at is not None
    assert not Notification.objects.filter(
        subject=f"deadline:{deadline.pk}", closed_at__isnull=True
    ).exists()


def test_sweeping_twice_opens_one_deadline_and_tells_each_level_once(cast):
    letter = waiting_letter(cast, status=Status.PROVINCE_REVIEW, due_on=date(2026, 3, 5))
    _sweep_on(date(2026, 3, 9))
    _sweep_on(date(2026, 3, 9))
    assert Deadline.objects.filter(subject=f"letter:{letter.pk}").count() == 1
    deadline = Deadline.objects.get(subject=f"letter:{letter.pk}")
    assert Notification.objects.filter(subject=f"deadline:{deadline.pk}").count() == 2


# --- each SLA and each escalation level ----------------------------------------------------


def test_the_province_review_escalates_from_the_officer_to_the_ca(cast):
    letter = waiting_letter(
        cast, status=Status.PROVINCE_REVIEW, due_on=date(2026, 3, 5)
    )  # Thursday
    _sweep_on(date(2026, 3, 5))
    deadline = Deadline.objects.get(subject=f"letter:{letter.pk}")
    assert _told(deadline) == []  # due today: still in time
    _sweep_on(date(2026, 3, 6))
    deadline.refresh_from_db()
    assert (deadline.state, deadline.level) == ("overdue", 1)
    assert _told(deadline, 1) == ["officer_1"]
    _sweep_on(date(2026, 3, 9))  # Monday: the second working day late
    deadline.refresh_from_db()
    assert (deadline.state, deadline.level) == ("escalated", 2)
    assert _told(deadline, 2) == ["ca_operator"]
    _sweep_on(date(2026, 3, 12))
    assert _told(deadline) == ["ca_operator", "officer_1"]  # the CA is the top: no level 3


def test_the_cas_3_working_days_overdue_tell_the_ca(cast):
    letter = waiting_letter(cast, status=Status.IN_PROCESS, due_on=date(2026, 3, 5), forwarded=True)
    _sweep_on(date(2026, 3, 6))
    deadline = Deadline.objects.get(subject=f"letter:{letter.pk}")
    assert _told(deadline, 1) == ["ca_operator"]
    assert (
        "Đã quá hạn: Văn bản số 15/STC-VP"
        in Notification.objects.get(user=cast.ca_operator).message
    )


def test_the_1_day_recovery_overdue_tells_the_province_then_the_ca(cast):
    letter = waiting_letter(
        cast, status=Status.PROVINCE_REVIEW, due_on=date(2026, 3, 3), form=FormKind.RECOVER_DEVICE
    )
    _sweep_on(date(2026, 3, 5))
    deadline = Deadline.objects.get(subject=f"letter:{letter.pk}")
    assert (_told(deadline, 1), _told(deadline, 2)) == (["officer_1"], ["ca_operator"])


@pytest.mark.parametrize(
    "day, level, told",
    [
        (date(2026, 3, 9), 0, []),  # the due date
        (date(2026, 3, 10), 1, []),  # level 1 is devices' own overdue notice
        (date(2026, 3, 11), 2, ["head_a"]),
        (date(2026, 3, 12), 3, ["officer_1"]),
        (date(2026, 3, 13), 4, ["ca_operator"]),
    ],
)
def test_the_5_day_device_return_climbs_clerk_head_province_ca(cast, day, level, told):
    obligation = return_obligation(cast, due_on=date(2026, 3, 9))
    _sweep_on(day)
    deadline = Deadline.objects.get(subject=f"obligation:{obligation.pk}")
    assert deadline.level == level
    if level:
        assert _told(deadline, level) == told
    assert Notification.objects.filter(subject=f"deadline:{deadline.pk}").count() == max(
        level - 1, 0
    )


def test_a_device_handed_over_closes_its_deadline(cast):
    obligation = return_obligation(cast, due_on=date(2026, 3, 9))
    _sweep_on(date(2026, 3, 11))
    ReturnObligation.objects.filter(pk=obligation.pk).update(closed_at=timezone.now())
    _sweep_on(date(2026, 3, 12))
    deadline = Deadline.objects.get(subject=f"obligation:{obligation.pk}")
    assert (deadline.state, deadline.level) == ("met", 2)
    assert _told(deadline) == ["head_a"]


# --- the calendar ---------------------------------------------------------------------------


def test_a_deadline_due_before_tet_is_not_overdue_during_tet(cast):
    # Friday 13/2/2026 is the last working day before Tết (14/2 – 22/2/2026 off).
    letter = waiting_letter(cast, status=Status.PROVINCE_REVIEW, due_on=date(2026, 2, 13))
    for day in (date(2026, 2, 14), date(2026, 2, 17), date(2026, 2, 22)):
        _sweep_on(day)
    deadline = Deadline.objects.get(subject=f"letter:{letter.pk}")
    assert (deadline.state, deadline.level) == ("open", 0)
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    _sweep_on(date(2026, 2, 23))
    deadline.refresh_from_db()
    assert (deadline.state, deadline.level) == ("overdue", 1)
    _sweep_on(date(2026, 2, 24))
    deadline.refresh_from_db()
    assert deadline.level == 2


def test_a_swapped_saturday_counts_as_an_overdue_working_day(cast):
    # Saturday 10/1/2026 was worked in exchange for Friday 2/1 (seeded override).
    letter = waiting_letter(cast, status=Status.PROVINCE_REVIEW, due_on=date(2026, 1, 9))
    _sweep_on(date(2026, 1, 10))
    deadline = Deadline.objects.get(subject=f"letter:{letter.pk}")
    assert deadline.level == 1
    _sweep_on(date(2026, 1, 11))  # Sunday: nothing more
    deadline.refresh_from_db()
    assert deadline.level == 1
    _sweep_on(date(2026, 1, 12))
    deadline.refresh_from_db()
    assert deadline.level == 2


def test_an_ordinary_saturday_does_not_count(cast):
    letter = waiting_letter(cast, status=Status.PROVINCE_REVIEW, due_on=date(2026, 3, 6))  # Friday
    _sweep_on(date(2026, 3, 7))
    assert Deadline.objects.get(subject=f"letter:{letter.pk}").level == 0


def test_working_days_back_counts_the_calendar_backwards(cast):
    from portal.workdays import working_days_back

    assert working_days_back(date(2026, 3, 10), 1) == date(2026, 3, 10)  # a Tuesday counts
    assert working_days_back(date(2026, 3, 9), 2) == date(2026, 3, 6)  # over the weekend
    assert working_days_back(date(2026, 2, 23), 2) == date(2026, 2, 13)  # over Tết 2026
    assert working_days_back(date(2026, 1, 12), 2) == date(2026, 1, 10)  # the worked Saturday
    with pytest.raises(ValueError):
        working_days_back(date(2026, 3, 10), 0)


def test_the_admin_lists_deadlines_read_only(cast, client):
    from tests.helpers import sign_in

    obligation = return_obligation(cast, due_on=date(2026, 3, 9))
    _sweep_on(date(2026, 3, 2))
    sign_in(client, cast.admin)
    response = client.get(reverse("admin:portal_deadline_changelist"))
    assert response.status_code == 200
    assert obligation.device.serial in response.content.decode()
    assert client.get(reverse("admin:portal_deadline_add")).status_code == 403
