"""The access log checked against the audit trail (docs/privacy.md §access log): `manage.py
access_verify` by hand, and beat's nightly `access_log_check`, which tells the data protection
officers once a day per set of problems."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from portal.models import Notification
from privacy.access import (
    CHECK_KIND,
    Subject,
    access_log_check,
    personal_data_access_record,
)
from privacy.choices import AccessChannel
from privacy.tasks import access_log_check_task
from tests import factories as f
from tests.privacy.world import officer

pytestmark = pytest.mark.django_db


def reveal(by, person):
    return personal_data_access_record(
        by=by,
        channel=AccessChannel.REVEAL,
        subjects=[Subject.of(person)],
        fields=["agencies.Person.national_id"],
        reason="Đối chiếu hồ sơ",
        obj=person,
    )


def tamper(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_command_says_ok_when_every_access_matches_its_event(cast):
    reveal(cast.officer_1, f.PersonFactory(organization=cast.agency_a))
    out = StringIO()
    call_command("access_verify", stdout=out)
    assert out.getvalue().strip() == "OK: 1 accesses verified"


def test_the_command_prints_each_problem_and_exits_1_after_tampering(cast):
    people = f.PersonFactory.create_batch(2, organization=cast.agency_a)
    changed, deleted = reveal(cast.officer_1, people[0]), reveal(cast.officer_1, people[1])
    tamper("UPDATE privacy_access SET reason = %s WHERE id = %s", ["khác", changed.pk])
    tamper("DELETE FROM privacy_accesssubject WHERE access_id = %s", [deleted.pk])
    tamper("DELETE FROM privacy_access WHERE id = %s", [deleted.pk])
    out = StringIO()
    with pytest.raises(CommandError) as broken:
        call_command("access_verify", stdout=out)
    assert broken.value.returncode == 1
    lines = out.getvalue().splitlines()
    assert any(
        f"access {changed.pk} (audit seq" in line and "reason differs" in line for line in lines
    )
    assert any("event without its access row" in line for line in lines)
    assert len(lines) == 2


def test_the_nightly_check_tells_nobody_when_all_matches(cast):
    officer()
    reveal(cast.officer_1, f.PersonFactory(organization=cast.agency_a))
    assert access_log_check_task() == 0
    assert not Notification.objects.filter(kind=CHECK_KIND).exists()


def test_the_nightly_check_tells_every_officer_once_a_day_per_set_of_problems(cast):
    first, second = officer("dpo1"), officer("dpo2")
    officer("dpo_gone", is_active=False)
    people = f.PersonFactory.create_batch(2, organization=cast.agency_a)
    one, two = reveal(cast.officer_1, people[0]), reveal(cast.officer_1, people[1])
    tamper("UPDATE privacy_access SET reason = %s WHERE id = %s", ["khác", one.pk])
    day = date(2026, 11, 27)

    assert len(access_log_check(today=day)) == 1
    told = Notification.objects.filter(kind=CHECK_KIND)
    assert {n.user for n in told.all()} == {first, second}
    assert "1 chỗ không khớp" in told.first().message
    assert len(access_log_check(today=day)) == 1  # the same problems, the same day
    assert told.count() == 2

    tamper("UPDATE privacy_access SET reason = %s WHERE id = %s", ["khác", two.pk])
    access_log_check(today=day)  # a new problem the same day is told
    assert told.count() == 4
    access_log_check(today=date(2026, 11, 28))  # and the problems again the next day
    assert told.count() == 6
