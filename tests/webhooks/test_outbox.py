"""The transactional outbox (docs/webhooks.md): each change other systems are told of writes
its event in its own transaction, rolled back with it, recorded once however often a sweep
runs, and carrying ids, numbers and statuses but no personal data."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone, translation

from certificates import services as ca_services
from certificates.choices import RevocationReason, SubjectKind
from certificates.deadlines import renewal_ladder_sweep
from devices.choices import DeviceKind
from devices.models import ReturnObligation
from devices.services import (
    device_deliver_for_certificate,
    device_register_stock,
    handover_notice_create,
    return_obligation_notify_overdue,
)
from requests_app import services as letters
from requests_app.choices import Status
from requests_app.lifecycle import ACTIONS
from tests.factories import certificate_valid_for, letter_draft, letter_row_add
from tests.webhooks.helpers import subscribe
from webhooks.choices import EventType
from webhooks.models import Event
from webhooks.services import FAN_OUT_TASK, webhook_event_record

pytestmark = pytest.mark.django_db


def _submitted(cast):
    letter = letter_draft(cast)
    letter_row_add(letter, cast.clerk_a)
    letters.cert_request_submit(cert_request=letter, by=cast.clerk_a)
    return letter


def test_a_submitted_letter_writes_its_event_with_ids_and_statuses_only(cast):
    subscribe(organization=cast.agency_a)
    letter = _submitted(cast)

    event = Event.objects.get()
    assert event.type == EventType.LETTER_SUBMITTED
    assert event.organization_id == cast.agency_a.pk
    assert event.data == {
        "letter_id": letter.pk,
        "form": letter.form,
        "number": "",
        "action": "submit",
        "status": Status.AWAITING_HEAD,
        "previous_status": Status.DRAFT,
    }
    assert "012190001234" not in str(event.data), "no ID number of the letter's rows"


@pytest.fixture
def fan_outs(monkeypatch):
    """The fan-outs sent to the broker (once the transaction's callbacks have run)."""
    sent = []
    monkeypatch.setattr(
        "webhooks.services.enqueue",
        lambda name, *args, **kw: name == FAN_OUT_TASK and sent.append(name) or True,
    )
    return sent


def test_the_fan_out_is_queued_once_after_the_commit(
    cast, django_capture_on_commit_callbacks, fan_outs
):
    subscribe(organization=cast.agency_a)
    letter = letter_draft(cast)
    letter_row_add(letter, cast.clerk_a)

    with django_capture_on_commit_callbacks(execute=True):
        letters.cert_request_submit(cert_request=letter, by=cast.clerk_a)
        webhook_event_record(
            type=EventType.LETTER_FORWARDED, key="other", organization_id=None, data={}
        )
        assert fan_outs == [], "not before the commit"
    assert len(fan_outs) == 1, "one fan-out per transaction, however many events"


def test_a_change_rolled_back_leaves_no_event_and_queues_nothing(
    cast, django_capture_on_commit_callbacks, fan_outs
):
    subscribe(organization=cast.agency_a)
    letter = letter_draft(cast)
    letter_row_add(letter, cast.clerk_a)

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        letters.cert_request_submit(cert_request=letter, by=cast.clerk_a)
        assert Event.objects.count() == 1
        raise RuntimeError("the change fails after its event was written")

    assert fan_outs == []
    letter.refresh_from_db()
    assert letter.status == Status.DRAFT
    assert not Event.objects.exists()


def test_without_any_active_subscription_nothing_is_queued_but_the_event_is_kept(
    cast, django_capture_on_commit_callbacks, fan_outs
):
    subscribe(organization=cast.agency_a, is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        _submitted(cast)
    assert fan_outs == [], "no broker round trip when nobody subscribes"
    assert Event.objects.count() == 1, "the outbox stays complete; the sweep fans it out"


def test_the_lifecycle_table_names_the_four_letter_events():
    named = {name: action.webhook for name, action in ACTIONS.items() if action.webhook}
    assert named == {
        "submit": EventType.LETTER_SUBMITTED,
        "forward": EventType.LETTER_FORWARDED,
        "return": EventType.LETTER_RETURNED,
        "complete": EventType.LETTER_PROCESSED,
        # the receiving system's signed status messages over edXML (docs/exchange.md)
        "exchange_return": EventType.LETTER_RETURNED,
        "exchange_done": EventType.LETTER_PROCESSED,
    }


@pytest.fixture
def issue_and_device(ca, cast):
    """A certificate on a token the agency has handed to its subscriber."""
    device_register_stock(kind=DeviceKind.USB_TOKEN, serial="VT2600001", by=cast.ca_operator)
    device = device_deliver_for_certificate(
        kind=DeviceKind.USB_TOKEN,
        agency=cast.agency_a,
        holder=cast.subscriber,
        by=cast.ca_operator,
        document_ref="1/STC-CKS",
    )
    certificate = ca_services.certificate_issue(
        subject_kind=SubjectKind.PERSON,
        agency=cast.agency_a,
        person=cast.subscriber,
        device=device,
        by=cast.ca_operator,
        not_after=timezone.now() + timedelta(days=60),
    )
    handover_notice_create(
        agency=cast.agency_a,
        devices=[device],
        acknowledged={device.pk},
        handed_on=timezone.localdate(),
        by=cast.clerk_a,
    )
    return certificate, device


def test_issuing_and_revoking_a_certificate_write_their_events(issue_and_device, cast):
    certificate, device = issue_and_device
    issued = Event.objects.get(type=EventType.CERTIFICATE_ISSUED)
    assert issued.key == f"certificate:{certificate.pk}:issued"
    assert issued.data["serial"] == certificate.serial
    assert issued.data["status"] == "valid"
    assert certificate.common_name not in str(issued.data), "no subscriber's name"

    ca_services.certificate_revoke(
        certificate=certificate, by=cast.ca_operator, reason=RevocationReason.KEY_COMPROMISE
    )
    revoked = Event.objects.get(type=EventType.CERTIFICATE_REVOKED)
    assert revoked.data["status"] == "revoked"
    assert revoked.data["revocation_reason"] == "key_compromise"
    due = Event.objects.get(type=EventType.DEVICE_RETURN_DUE)
    obligation = ReturnObligation.objects.get(device=device)
    assert due.key == f"obligation:{obligation.pk}:due"
    assert due.data["device_serial"] == device.serial
    assert due.organization_id == cast.agency_a.pk

    today = obligation.due_on + timedelta(days=3)
    assert return_obligation_notify_overdue(today=today) == 1
    assert return_obligation_notify_overdue(today=today) == 0
    overdue = Event.objects.get(type=EventType.DEVICE_RETURN_OVERDUE)
    assert overdue.data["due_on"] == obligation.due_on.isoformat()


def test_the_renewal_ladder_tells_each_rung_once(cast):
    certificate = certificate_valid_for(cast, days_left=40)
    renewal_ladder_sweep()
    renewal_ladder_sweep()

    event = Event.objects.get(type=EventType.CERTIFICATE_EXPIRING)
    assert event.key == f"certificate:{certificate.pk}:expiring:45"
    assert event.data["days_left_at_most"] == 45 and event.data["renewable"] is True
    assert event.data["not_after"].endswith("Z")

    renewal_ladder_sweep(now=timezone.now() + timedelta(days=15))
    assert Event.objects.filter(type=EventType.CERTIFICATE_EXPIRING).count() == 2


def test_the_renewal_ladder_writes_its_events_and_notifications_in_one_transaction(
    cast, monkeypatch
):
    certificate_valid_for(cast, days_left=40)

    def fails(*args, **kwargs):
        raise RuntimeError("the notifications' statement fails after the events were written")

    monkeypatch.setattr("certificates.deadlines.notify_select", fails)
    monkeypatch.setattr("certificates.deadlines.notify_rows", fails)
    with pytest.raises(RuntimeError):
        renewal_ladder_sweep()
    assert not Event.objects.exists(), "rolled back with the notifications"


def test_the_event_types_read_in_english_too():
    with translation.override("en"):
        assert str(EventType.DEVICE_RETURN_DUE.label) == "Device due for return"
        assert str(EventType.LETTER_FORWARDED.label) == "Letter forwarded to the CA"
