"""A worker's lease on the work it carries out (docs/processing.md §4.5), the one mechanism
by which the stall sweeps of letters, bulk jobs and approval runs tell a worker that is
working from one that is dead.

A run holds a `WorkLease` row while it works: taken when it starts (committed at once: a
worker runs outside any transaction), renewed every third of PORTAL_WORK_LEASE_SECONDS by a
heartbeat thread with its own database connection (so a step that keeps the work's rows locked for
minutes, a chunk of rows or a batch, still renews it, and the renewal never waits on those
locks), deleted when the run ends, however it ends. A worker killed stops renewing: its
lease runs out within PORTAL_WORK_LEASE_SECONDS and only then may a sweep queue the work
again and count an attempt; the next run to take a lease deletes what ran out an hour
ago. The lease says nothing of progress; the work's own `progress_at` still does.
"""

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connections, models
from django.utils import timezone

from portal.models import WorkLease

logger = logging.getLogger(__name__)


def lease_seconds() -> int:
    return settings.PORTAL_WORK_LEASE_SECONDS


def _renew_until(lease_pk: int, stop: threading.Event) -> None:
    """The heartbeat: push the lease's end a lease ahead every third of a lease, until
    `stop`. A failed renewal is logged and tried again at the next beat (the lease has two
    more thirds to run); this thread's connection is closed when it ends."""
    try:
        while not stop.wait(lease_seconds() / 3):
            try:
                WorkLease.objects.filter(pk=lease_pk).update(
                    expires_at=timezone.now() + timedelta(seconds=lease_seconds())
                )
            except DatabaseError:
                logger.warning("work lease %s not renewed", lease_pk, exc_info=True)
                connections["default"].close()  # opened anew at the next beat
    finally:
        connections.close_all()  # this thread's own


@contextmanager
def work_lease(obj: models.Model) -> Iterator[WorkLease]:
    """Hold a lease on `obj` while the block runs (the module's docstring). Called outside
    any transaction (a worker's run), the lease is committed at once, so every sweep sees
    it."""
    now = timezone.now()
    # What killed workers left, run out long since: the table holds little more than the
    # leases of the runs under way.
    WorkLease.objects.filter(expires_at__lt=now - timedelta(hours=1)).delete()
    lease = WorkLease.objects.create(
        kind=obj._meta.label_lower,
        object_id=obj.pk,
        holder=f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}",
        taken_at=now,
        expires_at=now + timedelta(seconds=lease_seconds()),
    )
    stop = threading.Event()
    heartbeat = threading.Thread(
        target=_renew_until,
        args=(lease.pk, stop),
        name=f"lease-{lease.kind}-{lease.object_id}",
        daemon=True,  # a worker killed takes it along: its lease runs out
    )
    heartbeat.start()
    try:
        yield lease
    finally:
        stop.set()
        heartbeat.join(timeout=10)
        try:
            WorkLease.objects.filter(pk=lease.pk).delete()
        except DatabaseError:  # a broken transaction or a lost connection: it runs out
            logger.warning("work lease %s not released", lease.pk, exc_info=True)
