"""Revoking many certificates at once (`certificate_revoke_many`, docs/ca.md "Publication"):
each decided on its locked row, the valid ones revoked together in a fixed number of
statements with what the one-by-one path wrote (status, history, audit, device returns,
webhooks), the others refused with their reason; a second run or a concurrent one revokes
nothing twice; the CRL queued once per CA, or left to the caller."""

import threading
from datetime import timedelta

import pytest
from cryptography import x509
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certificates import services
from certificates.backends import get_backend
from certificates.choices import CertEventKind, CertStatus, RevocationReason, SubjectKind
from certificates.exceptions import CertificateError
from certificates.models import Certificate, CertificateEvent
from certificates.services.common import (
    certificate_snapshot,
    certificate_webhook,
    locked_for_update,
    new_event,
    require_valid,
)
from certificates.signals import certificate_revoked
from devices.choices import DeviceKind, DeviceStatus, ReturnReason
from devices.models import CustodyRecord, Device, ReturnObligation
from devices.services import device_return_obligation_open
from portal.audit import audit_record, audit_verify
from portal.models import AuditEvent, Notification
from tests import factories as f
from tests.certificates.oracle import written_since
from tests.helpers import postgresql_only
from webhooks.choices import EventType
from webhooks.models import Event
from webhooks.services import webhook_events_record_many

pytestmark = pytest.mark.django_db

D = DeviceStatus
H = CustodyRecord.HolderKind
R = RevocationReason
NOTE = "Theo văn bản số 12/STC-CKS"


def _one_by_one(certificates, *, by, reason, note):
    """The revocation as it was before `certificate_revoke_many` (certificate_revoke_batch's
    loop), kept here as the oracle the batch is compared with."""
    now = timezone.now()
    revoked = []
    for certificate in certificates:
        locked = locked_for_update(certificate)
        require_valid(locked, now)
        before = certificate_snapshot(locked)
        locked.status = CertStatus.REVOKED
        locked.revoked_at = now
        locked.revocation_reason = reason
        locked.save(update_fields=["status", "revoked_at", "revocation_reason"])
        label = R(reason).label
        new_event(locked, CertEventKind.REVOKED, by, at=now, note=f"{label}. {note}".strip()).save()
        audit_record(
            actor=by,
            action="certificate.revoke",
            obj=locked,
            before=before,
            after=certificate_snapshot(locked),
            reason=note or str(label),
        )
        if reason != R.DEVICE_LOST and locked.device_id is not None:
            device_return_obligation_open(
                device=locked.device,
                reason=ReturnReason.REVOKED,
                notified_on=timezone.localdate(now),
                by=by,
                certificate_serial=locked.serial,
            )
        revoked.append(locked)
    webhook_events_record_many(
        events=[certificate_webhook(EventType.CERTIFICATE_REVOKED, c, "revoked") for c in revoked]
    )


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
        held_from=timezone.now() - timedelta(days=30),
    )
    return device


def _on(certificate, device):
    """The certificate as if it had been issued on `device` (the registry's link only)."""
    Certificate.objects.filter(pk=certificate.pk).update(device=device)
    certificate.refresh_from_db()
    return certificate


@pytest.fixture
def mix(cast, issue):
    """Valid certificates of every kind a revocation meets, in the order asked."""
    owing = _device(cast, D.HANDED_TO_SUBSCRIBER)
    device_return_obligation_open(
        device=owing, reason=ReturnReason.EXPIRED, notified_on=timezone.localdate(), by=None
    )
    shared = _device(cast, D.LOCKED)
    still_used = _device(cast, D.HANDED_TO_SUBSCRIBER)
    valid_elsewhere = _on(issue(), still_used)  # not revoked: its device stays
    mix = {
        "no device": issue(),
        "handed": _on(issue(), _device(cast, D.HANDED_TO_SUBSCRIBER)),
        "in agency B": _on(issue(), _device(cast, D.DELIVERED_TO_AGENCY, agency=cast.agency_b)),
        "already owing": _on(issue(), owing),
        "shared 1": _on(issue(), shared),
        "other still valid": _on(issue(), still_used),
        "shared 2": _on(issue(), shared),
        "lost": _on(issue(), _device(cast, D.LOST)),
        "soft": _on(issue(), _device(cast, D.HANDED_TO_SUBSCRIBER, kind=DeviceKind.SOFT)),
    }
    mix["valid elsewhere"] = valid_elsewhere
    return mix


def _written(since_seq, since_custody, since_notification, since_webhook):
    """What a revocation wrote, without the keys that differ between two runs."""
    return {
        **written_since(since_seq, since_custody, since_notification),
        "registry": sorted(
            Certificate.objects.values_list("serial", "status", "revoked_at", "revocation_reason")
        ),
        "history": sorted(
            CertificateEvent.objects.filter(kind=CertEventKind.REVOKED).values_list(
                "certificate_id", "at", "actor_id", "related_id", "note"
            )
        ),
        "webhooks": sorted(
            (type_, key, organization_id, data)
            if "obligation_id" not in data
            else (
                type_,
                f"obligation of device {data['device_id']}",
                organization_id,
                {**data, "obligation_id": None},
            )
            for type_, key, organization_id, data in Event.objects.filter(
                pk__gt=since_webhook
            ).values_list("type", "key", "organization_id", "data")
        ),
    }


def _run(revocation):
    """Run `revocation` in a savepoint rolled back afterwards; return what it wrote."""
    since = (
        AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0,
        CustodyRecord.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
    )
    with transaction.atomic():
        revocation()
        written = _written(*since)
        transaction.set_rollback(True)
    return written


def test_the_batch_writes_what_the_one_by_one_loop_wrote(mix, cast, time_machine):
    time_machine.move_to(timezone.now() + timedelta(hours=1), tick=False)
    asked = [c for name, c in mix.items() if name != "valid elsewhere"]

    expected = _run(lambda: _one_by_one(asked, by=cast.ca_operator, reason=R.RETIRED, note=NOTE))
    batch = _run(
        lambda: services.certificate_revoke_many(
            certificate_ids=[c.pk for c in asked], by=cast.ca_operator, reason=R.RETIRED, note=NOTE
        )
    )

    assert batch == expected
    # The oracle saw each case: what the batch is compared with is not empty.
    actions = [event[0] for event in expected["audit"]]
    assert actions.count("certificate.revoke") == 9
    assert actions.count("device.await_return") == 3  # handed, in agency B, shared
    assert actions.count("return_obligation.open") == 3  # … "already owing" keeps its own
    shared = [o for o in expected["obligations"] if o[0] == mix["shared 2"].device_id]
    assert [o[3] for o in shared] == [mix["shared 2"].serial]  # the last one asked, as before
    assert len(expected["webhooks"]) == 9 + 3  # revoked, and the returns due


def test_the_valid_ones_are_revoked_and_the_others_refused_with_their_reason(
    cast, issue, time_machine
):
    valid, other_valid = issue(), issue()
    revoked = issue()
    services.certificate_revoke(certificate=revoked, by=cast.ca_operator, reason=R.RESIGNED)
    ending = issue(not_after=timezone.now() + timedelta(days=2))
    service = issue(subject_kind=SubjectKind.DEVICE_SERVICE, common_name="Cổng dịch vụ công")
    foreign = f.CertificateFactory(agency=cast.agency_a, person=cast.subscriber)  # not ours
    time_machine.move_to(timezone.now() + timedelta(days=3))
    asked = [valid, revoked, ending, service, foreign, other_valid]

    outcome = services.certificate_revoke_many(
        certificate_ids=[c.pk for c in asked] + [987654321], by=cast.ca_operator, reason=R.RETIRED
    )

    assert outcome.revoked == [valid.pk, other_valid.pk]
    assert {pk: (e.code, str(e)) for pk, e in outcome.refused.items()} == {
        revoked.pk: ("revoked", f"Chứng thư {revoked.serial} đã bị thu hồi."),
        ending.pk: ("expired", f"Chứng thư {ending.serial} đã hết hạn."),
        service.pk: (
            "reason",
            "Lý do thu hồi này không áp dụng cho thuê bao loại Thiết bị, dịch vụ, phần mềm.",
        ),
        foreign.pk: ("foreign", f"Chứng thư {foreign.serial} không do CA của hệ thống phát hành."),
        987654321: ("not_found", "Không tìm thấy chứng thư cần thu hồi."),
    }
    statuses = dict(Certificate.objects.values_list("pk", "status"))
    assert [statuses[c.pk] for c in asked] == [
        CertStatus.REVOKED, CertStatus.REVOKED, CertStatus.VALID, CertStatus.VALID,
        CertStatus.VALID, CertStatus.REVOKED,
    ]  # fmt: skip
    assert outcome.certificates[valid.pk].status == CertStatus.REVOKED
    assert outcome.certificates[valid.pk].revocation_reason == R.RETIRED
    audits = AuditEvent.objects.filter(action="certificate.revoke").order_by("seq")
    assert [a.object_id for a in audits] == [str(revoked.pk), str(valid.pk), str(other_valid.pk)]
    assert (audits[1].before["status"], audits[1].after["status"]) == ("valid", "revoked")
    assert audits[1].after["revocation_reason"] == R.RETIRED
    assert audit_verify().ok


def test_a_second_run_revokes_nothing_and_writes_nothing(
    cast, issue, django_capture_on_commit_callbacks
):
    certificates = [issue(), issue(), issue()]
    ids = [c.pk for c in certificates]
    services.certificate_revoke_many(certificate_ids=ids, by=cast.ca_operator, reason=R.RETIRED)
    counts = (
        AuditEvent.objects.count(),
        CertificateEvent.objects.count(),
        Event.objects.count(),
        ReturnObligation.objects.count(),
    )
    registry = sorted(Certificate.objects.values_list("pk", "status", "revoked_at"))

    with django_capture_on_commit_callbacks() as callbacks:
        again = services.certificate_revoke_many(
            certificate_ids=ids, by=cast.ca_operator, reason=R.RESIGNED
        )

    assert again.revoked == [] and again.certificates == {}
    assert {e.code for e in again.refused.values()} == {"revoked"} and set(again.refused) == set(
        ids
    )
    assert callbacks == [], "no CRL queued for nothing revoked"
    assert (
        AuditEvent.objects.count(),
        CertificateEvent.objects.count(),
        Event.objects.count(),
        ReturnObligation.objects.count(),
    ) == counts
    assert sorted(Certificate.objects.values_list("pk", "status", "revoked_at")) == registry


def test_one_crl_per_issuing_ca_is_queued_unless_the_caller_publishes_at_its_end(
    cast, issue, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(
        "certificates.services.common.enqueue",
        lambda name, *args, what: queued.append((name, args)) or True,
    )
    first, second, third = issue(), issue(), issue()

    with django_capture_on_commit_callbacks(execute=True):
        services.certificate_revoke_many(
            certificate_ids=[first.pk, second.pk], by=cast.ca_operator, reason=R.RETIRED
        )
    assert queued == [("certificates.tasks.crl_publish_task", (first.issuer_id,))]

    queued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.certificate_revoke_many(
            certificate_ids=[third.pk], by=cast.ca_operator, reason=R.RETIRED, publish_crl=False
        )
        assert queued == []
        services.crl_publish_queue(certificate_ids=[first.pk, second.pk, third.pk])
    assert queued == [("certificates.tasks.crl_publish_task", (first.issuer_id,))]

    crl = x509.load_der_x509_crl(bytes(services.crl_publish().der))
    for certificate in (first, second, third):
        assert crl.get_revoked_certificate_by_serial_number(int(certificate.serial, 16))


def test_a_lost_device_is_not_asked_back(cast, issue):
    certificate = _on(issue(), _device(cast, D.HANDED_TO_SUBSCRIBER))

    outcome = services.certificate_revoke_many(
        certificate_ids=[certificate.pk], by=cast.ca_operator, reason=R.DEVICE_LOST
    )

    assert outcome.revoked == [certificate.pk]
    assert not ReturnObligation.objects.exists()
    assert Device.objects.get(pk=certificate.device_id).status == D.HANDED_TO_SUBSCRIBER


@pytest.mark.parametrize("reason", ["bored", R.SUPERSEDED])
def test_a_reason_no_certificate_is_revoked_for_is_raised(cast, issue, reason):
    certificate = issue()

    with pytest.raises(CertificateError) as refused:
        services.certificate_revoke_many(
            certificate_ids=[certificate.pk], by=cast.ca_operator, reason=reason
        )

    assert refused.value.code == "reason"
    assert Certificate.objects.get(pk=certificate.pk).status == CertStatus.VALID


def test_the_signal_is_sent_for_each_certificate_revoked(cast, issue):
    first, refused, second = issue(), issue(), issue()
    services.certificate_revoke(certificate=refused, by=cast.ca_operator, reason=R.RETIRED)
    calls = []

    def receiver(**kwargs):
        calls.append((kwargs["certificate"].pk, kwargs["certificate"].status, kwargs["reason"]))

    certificate_revoked.connect(receiver)
    try:
        services.certificate_revoke_many(
            certificate_ids=[first.pk, refused.pk, second.pk], by=None, reason=R.RESIGNED
        )
    finally:
        certificate_revoked.disconnect(receiver)

    assert calls == [
        (first.pk, CertStatus.REVOKED, R.RESIGNED),
        (second.pk, CertStatus.REVOKED, R.RESIGNED),
    ]


def test_the_backend_is_told_once_for_the_batch(cast, issue, monkeypatch):
    first, second = issue(), issue()
    told = []
    backend = get_backend()
    monkeypatch.setattr(
        backend,
        "revoke_many",
        lambda *, certificates, reason, revoked_at: told.append(
            ([c.pk for c in certificates], reason)
        ),
    )

    services.certificate_revoke_many(
        certificate_ids=[second.pk, first.pk], by=cast.ca_operator, reason=R.RETIRED
    )

    assert told == [([second.pk, first.pk], R.RETIRED)]


def test_a_revocation_costs_the_same_statements_for_3_or_30_certificates(cast, issue):
    postgresql_only("COPY's statement count (SQLite's bulk_create splits at 999 parameters)")

    def statements(n):
        certificates = [
            _on(issue(), _device(cast, D.HANDED_TO_SUBSCRIBER)) if i % 2 else issue()
            for i in range(n)
        ]
        with CaptureQueriesContext(connection) as queries:
            outcome = services.certificate_revoke_many(
                certificate_ids=[c.pk for c in certificates], by=cast.ca_operator, reason=R.RETIRED
            )
        assert len(outcome.revoked) == n
        return len(queries.captured_queries)

    assert statements(3) == statements(30)


@pytest.mark.django_db(transaction=True)
def test_two_revocations_of_the_same_certificates_at_once_revoke_each_once(cast, issue):
    postgresql_only("row locks of two transactions at once (SQLite serialises writes)")
    certificates = [_on(issue(), _device(cast, D.HANDED_TO_SUBSCRIBER)) for _ in range(10)]
    ids = [c.pk for c in certificates]
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def run(order):
        try:
            barrier.wait(timeout=10)
            outcomes.append(
                services.certificate_revoke_many(
                    certificate_ids=order, by=cast.ca_operator, reason=R.RETIRED
                )
            )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(ids,)),
        threading.Thread(target=run, args=(list(reversed(ids)),)),  # asked in the other order
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    revoked = [pk for outcome in outcomes for pk in outcome.revoked]
    assert sorted(revoked) == sorted(ids), "each certificate revoked by exactly one of them"
    refused = [e.code for outcome in outcomes for e in outcome.refused.values()]
    assert refused == ["revoked"] * len(ids)
    assert CertificateEvent.objects.filter(kind=CertEventKind.REVOKED).count() == 10
    assert AuditEvent.objects.filter(action="certificate.revoke").count() == 10
    assert ReturnObligation.objects.count() == 10
    assert Event.objects.filter(type=EventType.CERTIFICATE_REVOKED).count() == 10
    assert audit_verify().ok


def test_the_all_or_none_batch_keeps_its_first_refusal(cast, issue):
    first, revoked, last = issue(), issue(), issue()
    services.certificate_revoke(certificate=revoked, by=cast.ca_operator, reason=R.RETIRED)
    events = AuditEvent.objects.count()

    with pytest.raises(CertificateError) as refused:
        services.certificate_revoke_batch(
            certificates=[first, revoked, last], by=cast.ca_operator, reason=R.RETIRED
        )

    assert (refused.value.code, str(refused.value)) == (
        "revoked",
        f"Chứng thư {revoked.serial} đã bị thu hồi.",
    )
    assert Certificate.objects.get(pk=first.pk).status == CertStatus.VALID
    assert Certificate.objects.get(pk=last.pk).status == CertStatus.VALID
    assert AuditEvent.objects.count() == events
