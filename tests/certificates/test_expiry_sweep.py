"""The expiry sweep in SQL (docs/scale.md §12.4): a batch of due certificates writes what
the former one-by-one loop wrote — statuses, history rows, device returns with their custody
records, notices and audit events, in the same order — in a fixed number of statements."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certificates.choices import CertEventKind, CertStatus
from certificates.models import Certificate, CertificateEvent
from certificates.services import certificate_expire_due
from certificates.services.common import certificate_snapshot, new_event
from devices.choices import DeviceKind, DeviceStatus, ReturnReason
from devices.models import CustodyRecord, Device, ReturnObligation
from devices.services import (
    ReturnOpening,
    device_return_obligation_open,
    device_return_obligations_open,
)
from portal.audit import audit_record, audit_verify
from portal.models import AuditEvent, Notification
from tests import factories as f
from tests.certificates.oracle import written_since
from tests.helpers import postgresql_only

D = DeviceStatus
H = CustodyRecord.HolderKind
# Friday 13/11/2026, 10:00 in Vietnam: returns opened that day are due five working days on.
EXPIRY = datetime(2026, 11, 13, 3, 0, tzinfo=UTC)


def _one_by_one(now):
    """The sweep as it was before §12.4 (certificates/services/revocation.py before the batch sweep),
    kept here as the oracle the batch is compared with."""
    due = (
        Certificate.objects.due_to_expire(now)
        .select_for_update(of=("self",))
        .select_related("issuer", "device")
        .order_by("pk")
    )
    for certificate in due:
        before = certificate_snapshot(certificate)
        certificate.status = CertStatus.EXPIRED
        certificate.save(update_fields=["status"])
        audit_record(
            actor=None,
            action="certificate.expire",
            obj=certificate,
            before=before,
            after=certificate_snapshot(certificate),
        )
        if certificate.device_id is not None:
            device_return_obligation_open(
                device=certificate.device,
                reason=ReturnReason.EXPIRED,
                notified_on=timezone.localdate(certificate.not_after),
                by=None,
                certificate_serial=certificate.serial,
            )
        new_event(certificate, CertEventKind.EXPIRED, None, at=certificate.not_after).save()


def _device(cast, status, *, agency=None, kind=DeviceKind.USB_TOKEN):
    agency = agency or cast.agency_a
    device = f.DeviceFactory(kind=kind, agency=agency, holder=cast.subscriber, status=status)
    in_agency = status in (D.DELIVERED_TO_AGENCY, D.RETURNED_TO_AGENCY)
    holder_kind = {D.LOST: H.NOBODY}.get(status, H.AGENCY if in_agency else H.SUBSCRIBER)
    CustodyRecord.objects.create(
        device=device,
        status=status,
        holder_kind=holder_kind,
        agency=agency,
        held_from=timezone.now() - timedelta(days=300),
    )
    return device


def _certificate(cast, ca, *, device=None, ends=EXPIRY, agency=None):
    return f.CertificateFactory(
        person=cast.subscriber,
        agency=agency or cast.agency_a,
        device=device,
        issuer=ca.issuing,
        not_before=ends - timedelta(days=365),
        not_after=ends,
    )


@pytest.fixture
def mix(cast, ca):
    """Due certificates of every kind the sweep meets, and two it must leave alone."""
    handed = _device(cast, D.HANDED_TO_SUBSCRIBER)
    in_agency = _device(cast, D.DELIVERED_TO_AGENCY, agency=cast.agency_b)
    owing = _device(cast, D.HANDED_TO_SUBSCRIBER)
    device_return_obligation_open(
        device=owing, reason=ReturnReason.REVOKED, notified_on=EXPIRY.date(), by=cast.ca_operator
    )
    awaiting = _device(cast, D.AWAITING_RETURN)  # no obligation yet
    shared = _device(cast, D.LOCKED)
    still_used = _device(cast, D.HANDED_TO_SUBSCRIBER)
    lost = _device(cast, D.LOST)
    soft = _device(cast, D.HANDED_TO_SUBSCRIBER, kind=DeviceKind.SOFT)
    weekend = _device(cast, D.HANDED_TO_SUBSCRIBER, agency=cast.agency_c)
    certificates = {
        "no device": _certificate(cast, ca),
        "handed": _certificate(cast, ca, device=handed),
        "in agency B": _certificate(cast, ca, device=in_agency, agency=cast.agency_b),
        "already owing": _certificate(cast, ca, device=owing),
        "awaiting": _certificate(cast, ca, device=awaiting),
        "shared 1": _certificate(cast, ca, device=shared),
        "shared 2": _certificate(cast, ca, device=shared, ends=EXPIRY - timedelta(days=2)),
        "other still valid": _certificate(cast, ca, device=still_used),
        "valid on that device": _certificate(
            cast, ca, device=still_used, ends=EXPIRY + timedelta(days=200)
        ),
        "lost": _certificate(cast, ca, device=lost),
        "soft": _certificate(cast, ca, device=soft),
        # Saturday 7/11/2026: its return is due five working days after it.
        "ended on a Saturday": _certificate(
            cast, ca, device=weekend, agency=cast.agency_c, ends=EXPIRY - timedelta(days=6)
        ),
        "not yet": _certificate(
            cast, ca, device=_device(cast, D.HANDED_TO_SUBSCRIBER), ends=EXPIRY + timedelta(days=30)
        ),  # fmt: skip
    }
    return certificates


def _written(since_seq, since_custody, since_notification):
    """What a sweep wrote, without the keys and times that differ between two runs."""
    return {
        **written_since(since_seq, since_custody, since_notification),
        "statuses": dict(Certificate.objects.values_list("serial", "status")),
        "history": sorted(
            CertificateEvent.objects.filter(kind=CertEventKind.EXPIRED).values_list(
                "certificate_id", "at", "actor_id", "related_id", "note"
            )
        ),
        "custody open": sorted(
            CustodyRecord.objects.filter(held_until__isnull=True).values_list("device_id", "status")
        ),
    }


def _run(sweep):
    """Run `sweep` in a savepoint rolled back afterwards; return what it wrote."""
    since = (
        AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0,
        CustodyRecord.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
    )
    with transaction.atomic():
        sweep()
        written = _written(*since)
        transaction.set_rollback(True)
    return written


@pytest.mark.django_db
def test_the_batch_writes_what_the_one_by_one_loop_wrote(mix, time_machine):
    time_machine.move_to(EXPIRY + timedelta(hours=1))
    now = timezone.now()

    expected = _run(lambda: _one_by_one(now))
    batch = _run(lambda: certificate_expire_due(now=now))

    assert batch == expected
    # And the oracle saw each case: what the batch is compared with is not empty.
    actions = [event[0] for event in expected["audit"]]
    assert actions.count("certificate.expire") == 11
    assert actions.count("device.await_return") == 4  # handed, in agency B, shared, Saturday
    assert actions.count("return_obligation.open") == 5  # … and the one already awaiting
    assert {o[4] for o in expected["obligations"]} == {ReturnReason.EXPIRED, ReturnReason.REVOKED}
    assert len(expected["notifications"]) == 2 * 3 + 1 + 1  # clerk and head of A; B's, C's clerk


@pytest.mark.django_db
def test_the_batch_opens_each_return_as_described(mix, cast, time_machine):
    time_machine.move_to(EXPIRY + timedelta(hours=1))

    assert certificate_expire_due() == 11
    assert certificate_expire_due() == 0  # idempotent

    def obligation(name):
        return ReturnObligation.objects.get(device=mix[name].device, closed_at__isnull=True)

    shared = obligation("shared 1")
    assert shared.certificate_serial == mix["shared 1"].serial  # the first, by key order
    saturday = obligation("ended on a Saturday")
    assert (saturday.notified_on.isoformat(), saturday.due_on.isoformat()) == (
        "2026-11-07",
        "2026-11-13",
    )
    assert obligation("already owing").reason == ReturnReason.REVOKED
    for name in ("other still valid", "lost", "soft", "not yet"):
        assert not ReturnObligation.objects.filter(device=mix[name].device).exists(), name
    custody = CustodyRecord.objects.get(device=mix["in agency B"].device, held_until__isnull=True)
    assert (custody.status, custody.holder_kind) == (D.AWAITING_RETURN, H.AGENCY)
    assert Certificate.objects.get(pk=mix["not yet"].pk).status == CertStatus.VALID
    told = Notification.objects.filter(user=cast.clerk_c).get()
    assert told.message == (
        f"Thiết bị {mix['ended on a Saturday'].device.serial} phải được thu hồi và bàn giao lại"
        " CA trước ngày 13/11/2026 (chứng thư hết hạn)."
    )
    assert audit_verify().ok


@pytest.mark.django_db
def test_the_batches_cost_the_same_statements_for_5_or_50_certificates(cast, ca, time_machine):
    postgresql_only("COPY's statement count (SQLite's bulk_create splits at 999 parameters)")

    def sweep_of(n):
        with transaction.atomic():
            for _ in range(n):
                _certificate(cast, ca, device=_device(cast, D.HANDED_TO_SUBSCRIBER))
                _certificate(cast, ca)
            time_machine.move_to(EXPIRY + timedelta(hours=1))
            with CaptureQueriesContext(connection) as queries:
                assert certificate_expire_due(batch_size=1000) == 2 * n
            assert ReturnObligation.objects.open().count() == n
            transaction.set_rollback(True)
        return len(queries.captured_queries)

    assert sweep_of(5) == sweep_of(50)


@pytest.mark.django_db
def test_a_backlog_larger_than_a_batch_is_expired_a_batch_at_a_time(cast, ca, time_machine):
    certificates = [_certificate(cast, ca) for _ in range(7)]
    time_machine.move_to(EXPIRY + timedelta(hours=1))

    assert certificate_expire_due(batch_size=3) == 7

    assert {c.status for c in Certificate.objects.filter(pk__in=[c.pk for c in certificates])} == {
        CertStatus.EXPIRED
    }
    assert CertificateEvent.objects.filter(kind=CertEventKind.EXPIRED).count() == 7


@pytest.mark.django_db
def test_a_device_named_twice_gets_one_obligation_and_both_see_it(cast):
    device = _device(cast, D.HANDED_TO_SUBSCRIBER)
    day = EXPIRY.date()

    first, second = device_return_obligations_open(
        openings=[ReturnOpening(device.pk, day, "AA"), ReturnOpening(device.pk, day, "BB")],
        reason=ReturnReason.EXPIRED,
        by=None,
    )

    assert first is not None and first == second
    assert ReturnObligation.objects.get(device=device).certificate_serial == "AA"
    assert list(
        AuditEvent.objects.filter(action__in=["device.await_return", "return_obligation.open"])
        .order_by("seq")
        .values_list("action", flat=True)
    ) == ["device.await_return", "return_obligation.open"]


@pytest.mark.django_db
def test_an_unknown_reason_is_refused(cast):
    with pytest.raises(ValueError):
        device_return_obligations_open(
            openings=[ReturnOpening(_device(cast, D.LOCKED).pk, EXPIRY.date())],
            reason="bored",
            by=None,
        )


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_expire_each_certificate_once(cast, ca, time_machine):
    postgresql_only("row locks of two sweeps at once (SQLite serialises whole-database writes)")
    shared = _device(cast, D.HANDED_TO_SUBSCRIBER)
    for _ in range(20):
        _certificate(cast, ca, device=_device(cast, D.HANDED_TO_SUBSCRIBER))
        _certificate(cast, ca, device=shared)
    time_machine.move_to(EXPIRY + timedelta(hours=1))
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(certificate_expire_due(batch_size=7))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    assert sum(results) == 40
    assert CertificateEvent.objects.filter(kind=CertEventKind.EXPIRED).count() == 40
    assert AuditEvent.objects.filter(action="certificate.expire").count() == 40
    assert ReturnObligation.objects.count() == 21
    assert ReturnObligation.objects.filter(device=shared).count() == 1
    assert certificate_expire_due() == 0
    assert audit_verify().ok


@pytest.mark.django_db
def test_a_batch_that_fails_leaves_nothing_of_itself(cast, ca, time_machine, monkeypatch):
    certificate = _certificate(cast, ca, device=_device(cast, D.HANDED_TO_SUBSCRIBER))
    time_machine.move_to(EXPIRY + timedelta(hours=1))

    def crash(**kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr("certificates.services.revocation.audit_record_many", crash)
    with pytest.raises(RuntimeError):
        certificate_expire_due()

    certificate.refresh_from_db()
    assert certificate.status == CertStatus.VALID
    assert not CertificateEvent.objects.filter(kind=CertEventKind.EXPIRED).exists()
    assert not ReturnObligation.objects.exists()
    assert Device.objects.get(pk=certificate.device_id).status == D.HANDED_TO_SUBSCRIBER
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_two_certificates_of_one_device_in_two_batches_open_its_return_in_the_first(
    cast, ca, time_machine
):
    device = _device(cast, D.HANDED_TO_SUBSCRIBER)
    first = _certificate(cast, ca, device=device, ends=EXPIRY - timedelta(days=1))
    _certificate(cast, ca, device=device)
    time_machine.move_to(EXPIRY + timedelta(hours=1))

    assert certificate_expire_due(batch_size=1) == 2

    obligation = ReturnObligation.objects.open().get(device=device)
    assert obligation.certificate_serial == first.serial
