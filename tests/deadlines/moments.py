"""Shared by the deadline tests: a moment of the portal's calendar, and a letter put straight
into a waiting status with a due date, or a device's return obligation with one (its state, not
its path, is what a sweep reads)."""

from datetime import date, datetime, time

import time_machine
from django.utils import timezone

from devices.models import ReturnObligation
from requests_app.choices import FormKind
from requests_app.models import CertRequest
from tests import factories as f


def on(day: date):
    """Travel to 09:00 on `day` in the portal's time zone."""
    moment = timezone.make_aware(datetime.combine(day, time(9)))
    return time_machine.travel(moment, tick=False)


def waiting_letter(cast, *, status, due_on, form=FormKind.ISSUE_PERSON, forwarded=False):
    letter = f.letter_draft(cast, form=form)
    CertRequest.objects.filter(pk=letter.pk).update(
        status=status,
        due_on=due_on,
        number="15/STC-VP",
        forwarded_at=timezone.now() if forwarded else None,
    )
    return letter


def return_obligation(cast, *, due_on, closed=False):
    """A device of agency A that owes its return by `due_on` (closed: handed back)."""
    return ReturnObligation.objects.create(
        device=f.DeviceFactory(agency=cast.agency_a),
        agency=cast.agency_a,
        reason="revoked",
        notified_on=date(2026, 3, 2),
        due_on=due_on,
        closed_at=timezone.now() if closed else None,
    )
