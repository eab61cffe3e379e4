"""A worker's lease on its work (portal/leases.py, docs/processing.md §4.5): renewed from its
heartbeat thread for as long as the work runs, however long past the lease's own length, and
released when the work ends, however it ends."""

import time

import pytest

from portal.leases import work_lease
from portal.models import WorkLease
from tests.helpers import lease_on

pytestmark = pytest.mark.django_db(transaction=True)


def _live(obj) -> bool:
    return WorkLease.objects.live().on(type(obj), obj.pk).exists()


def test_a_lease_held_three_times_its_length_stays_live_and_is_released_at_the_end(cast, settings):
    settings.PORTAL_WORK_LEASE_SECONDS = 1
    with work_lease(cast.agency_a) as lease:
        for _second in range(3):
            time.sleep(1)
            assert _live(cast.agency_a)  # renewed by the heartbeat, seen by any connection
        held = WorkLease.objects.get(pk=lease.pk)
        assert held.expires_at > lease.expires_at
    assert not WorkLease.objects.filter(pk=lease.pk).exists()


def test_a_lease_is_released_when_the_work_raises(cast, settings):
    settings.PORTAL_WORK_LEASE_SECONDS = 1
    with pytest.raises(RuntimeError), work_lease(cast.agency_a):
        assert _live(cast.agency_a)
        raise RuntimeError("the work failed")
    assert not WorkLease.objects.exists()


def test_taking_a_lease_deletes_those_that_ran_out_over_an_hour_ago(cast):
    """What killed workers leave behind does not pile up; a lease that ran out less than an
    hour ago is kept (the sweeps read it as run out either way)."""
    old = lease_on(cast.agency_a, expires_in=-3601)
    recent = lease_on(cast.agency_a, expires_in=-3599)
    with work_lease(cast.agency_b):
        pass
    assert list(WorkLease.objects.values_list("pk", flat=True)) == [recent.pk]
    assert old.pk != recent.pk
