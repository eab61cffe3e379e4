"""Return obligations (docs/domain.md §4.3: 5 working days after the revocation notice), the Mẫu 08
minutes and the receiving side's confirmation, and the overdue notification task."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from devices.choices import DeviceKind, DeviceStatus, ReceiverKind, ReturnReason
from devices.models import Device, ReturnObligation
from devices.querysets import overdue_return_count
from devices.services import (
    device_deliver_for_certificate,
    device_lock,
    device_return_obligation_open,
    loss_report_create,
    return_minutes_confirm,
    return_minutes_create,
    return_obligation_notify_overdue,
)
from devices.tasks import return_obligation_notify_overdue_task
from portal.errors import DomainError
from portal.models import Notification
from tests import factories as f
from tests.devices.helpers import chain, send

D = DeviceStatus
pytestmark = pytest.mark.django_db
MONDAY = date(2026, 11, 16)


def _open(device, by, *, on=MONDAY, reason=ReturnReason.REVOKED):
    return device_return_obligation_open(
        device=device, reason=reason, notified_on=on, by=by, certificate_serial="54ab"
    )


def _minutes(cast, *devices, receiver=ReceiverKind.CA, by=None):
    return return_minutes_create(
        agency=cast.agency_a,
        devices=list(devices),
        held_at=timezone.now(),
        place="Sở Tài chính tỉnh Lai Châu",
        receiver_kind=receiver,
        agency_representative="Nguyễn Thị Thu Hà",
        agency_representative_title="Chánh Văn phòng",
        by=by or cast.clerk_a,
    )


@pytest.fixture(autouse=True)
def _ca_org(cast):
    f.CAOrgFactory()


def test_an_obligation_is_due_five_working_days_after_the_notice(cast, handed):
    obligation = _open(handed, cast.ca_operator)
    assert obligation.due_on == date(2026, 11, 23)  # Monday + 5 working days
    assert obligation.agency == cast.agency_a and obligation.person == cast.subscriber
    assert Device.objects.get(pk=handed.pk).status == D.AWAITING_RETURN


def test_opening_twice_keeps_the_first_obligation(cast, handed):
    first = _open(handed, cast.ca_operator)
    again = _open(handed, None, on=MONDAY + timedelta(days=3), reason=ReturnReason.EXPIRED)
    assert again == first
    assert ReturnObligation.objects.count() == 1


def test_the_database_allows_one_open_obligation_per_device(cast, handed):
    first = _open(handed, cast.ca_operator)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReturnObligation.objects.create(
            device=handed, agency=cast.agency_a, reason="revoked", notified_on=MONDAY,
            due_on=first.due_on,
        )  # fmt: skip


def test_a_due_date_before_the_notice_is_refused_by_the_database(cast, handed):
    with pytest.raises(IntegrityError), transaction.atomic():
        ReturnObligation.objects.create(
            device=handed, agency=cast.agency_a, reason="revoked", notified_on=MONDAY,
            due_on=MONDAY - timedelta(days=1),
        )  # fmt: skip


def test_nothing_is_owed_for_a_lost_device_or_a_software_key(cast, handed):
    loss_report_create(
        device=handed, lost_on=timezone.localdate(), lost_place="Chợ", circumstances="Rơi mất.",
        by=cast.clerk_a,
    )  # fmt: skip
    soft = device_deliver_for_certificate(
        kind=DeviceKind.SOFT, agency=cast.agency_a, holder=cast.subscriber, by=cast.ca_operator
    )
    assert _open(handed, cast.ca_operator) is None
    assert _open(soft, cast.ca_operator) is None
    assert ReturnObligation.objects.count() == 0


def test_a_device_the_agency_still_holds_awaits_return_in_the_agencys_hands(cast):
    device = device_deliver_for_certificate(
        kind=DeviceKind.USB_TOKEN, agency=cast.agency_a, holder=cast.subscriber, by=cast.ca_operator
    )
    _open(device, cast.ca_operator)
    assert chain(device)[-1] == (D.AWAITING_RETURN, "agency")


def test_a_locked_device_must_come_back_too(cast, handed):
    device_lock(device=handed, by=cast.clerk_a)
    obligation = _open(handed, cast.ca_operator)
    assert obligation is not None
    assert chain(handed)[-1] == (D.AWAITING_RETURN, "subscriber")


def test_a_loss_closes_the_obligation(cast, handed):
    obligation = _open(handed, cast.ca_operator)
    loss_report_create(
        device=handed, lost_on=timezone.localdate(), lost_place="Chợ", circumstances="Rơi mất.",
        by=cast.clerk_a,
    )  # fmt: skip
    obligation.refresh_from_db()
    assert obligation.closed_at is not None and "Mẫu 09" in obligation.close_note


def test_minutes_to_the_provincial_point_are_confirmed_by_its_officer_only(cast, handed):
    _open(handed, cast.ca_operator)
    minutes = _minutes(cast, handed, receiver=ReceiverKind.PROVINCE)
    assert minutes.receiver == cast.office_1
    send(cast, minutes)  # the agency head signed it: it goes to the receiving side
    assert Notification.objects.filter(user=cast.officer_1, message__contains="Mẫu 08").exists()
    for outsider in (cast.ca_operator, cast.officer_2, cast.clerk_a):
        with pytest.raises(PermissionDenied):
            return_minutes_confirm(minutes=minutes, by=outsider)

    return_minutes_confirm(
        minutes=minutes, by=cast.officer_1, receiver_representative="Lò Văn Nhận"
    )

    handed.refresh_from_db()
    assert handed.status == D.RETURNED_TO_CA
    last = handed.custody.order_by("-pk").first()
    assert (last.holder_kind, last.agency) == ("ca", cast.office_1)
    assert minutes.confirmed_by == cast.officer_1
    assert ReturnObligation.objects.get().closed_at is not None
    assert Notification.objects.filter(user=cast.clerk_a, message__contains="xác nhận").exists()
    with pytest.raises(PermissionDenied):
        return_minutes_confirm(minutes=minutes, by=cast.officer_1)  # confirmed once


def test_one_minutes_covers_several_devices_and_each_only_once(cast, handed):
    other = f.DeviceFactory(agency=cast.agency_a, holder=cast.subscriber, status=D.LOCKED)
    other.custody.create(status=D.LOCKED, holder_kind="subscriber", held_from=timezone.now())
    _open(handed, cast.ca_operator)
    _open(other, cast.ca_operator)

    minutes = _minutes(cast, handed, other)

    assert [i.device for i in minutes.items.order_by("position")] == sorted(
        [handed, other], key=lambda d: d.pk
    )
    with pytest.raises(DomainError, match="biên bản Mẫu 08 khác"):
        _minutes(cast, handed)


def test_a_device_of_another_agency_cannot_be_in_the_minutes(cast, handed):
    foreign = f.DeviceFactory(agency=cast.agency_b, status=D.HANDED_TO_SUBSCRIBER)
    foreign.custody.create(
        status=D.HANDED_TO_SUBSCRIBER, holder_kind="subscriber", held_from=timezone.now()
    )
    _open(handed, cast.ca_operator)
    _open(foreign, cast.ca_operator)
    with pytest.raises(DomainError, match="không thuộc cơ quan"):
        _minutes(cast, handed, foreign)
    assert Device.objects.get(pk=handed.pk).status == D.AWAITING_RETURN


def test_overdue_obligations_are_told_to_the_agency_once(cast, handed):
    obligation = _open(handed, cast.ca_operator)
    late = obligation.due_on + timedelta(days=1)

    assert return_obligation_notify_overdue(today=obligation.due_on) == 0
    assert return_obligation_notify_overdue(today=late) == 1
    assert return_obligation_notify_overdue(today=late) == 0  # idempotent
    told = Notification.objects.filter(message__startswith="Quá hạn bàn giao")
    assert {n.user for n in told} == {cast.clerk_a, cast.head_a}


def _owing(cast, n, *, agency=None, on=MONDAY):
    """n devices of `agency` (A) with an open return obligation notified on `on`."""
    agency = agency or cast.agency_a
    obligations = []
    for _ in range(n):
        device = f.DeviceFactory(agency=agency, holder=cast.subscriber, status=D.LOCKED)
        device.custody.create(status=D.LOCKED, holder_kind="subscriber", held_from=timezone.now())
        obligations.append(_open(device, cast.ca_operator, on=on))
    return obligations


def test_each_overdue_obligation_is_told_with_its_device_and_due_date(cast):
    a, b = _owing(cast, 1)[0], _owing(cast, 1, agency=cast.agency_b)[0]
    late = a.due_on + timedelta(days=1)

    assert return_obligation_notify_overdue(today=late, batch_size=1) == 2

    overdue = Notification.objects.filter(message__startswith="Quá hạn")
    assert sorted(overdue.values_list("user__username", "message", "url")) == [
        (username, f"Quá hạn bàn giao lại thiết bị {o.device.serial} cho CA: hạn là ngày "
         f"{o.due_on:%d/%m/%Y} (Mẫu 08).", reverse("devices:returns"))
        for username, o in [("clerk_a", a), ("clerk_b", b), ("head_a", a)]
    ]  # fmt: skip
    assert ReturnObligation.objects.filter(overdue_notified_at__isnull=True).count() == 0


def test_the_overdue_notice_costs_the_same_statements_for_3_or_30_obligations(cast):
    def told(n):
        with transaction.atomic():
            obligations = _owing(cast, n)
            late = obligations[0].due_on + timedelta(days=1)
            with CaptureQueriesContext(connection) as queries:
                assert return_obligation_notify_overdue(today=late) == n
            assert Notification.objects.filter(message__startswith="Quá hạn").count() == 2 * n
            transaction.set_rollback(True)
        return len(queries.captured_queries)

    assert told(3) == told(30)


def test_the_periodic_task_is_a_thin_idempotent_adapter(cast, handed, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    Device.objects.filter(pk=handed.pk).update(status=D.HANDED_TO_SUBSCRIBER)
    _open(handed, cast.ca_operator, on=date(2020, 1, 6))
    assert return_obligation_notify_overdue_task.apply().get() == 1
    assert return_obligation_notify_overdue_task.apply().get() == 0


def test_an_obligation_handed_over_in_minutes_is_no_longer_overdue(cast, handed):
    obligation = _open(handed, cast.ca_operator, on=date(2020, 1, 6))
    assert ReturnObligation.objects.overdue().count() == 1
    _minutes(cast, handed)
    assert ReturnObligation.objects.overdue().count() == 0
    obligation.refresh_from_db()
    assert obligation.closed_at is None  # until the CA confirms


def test_dashboard_counts_are_scoped(cast, handed):
    _open(handed, cast.ca_operator, on=date(2020, 1, 6))
    counts = {
        user.username: overdue_return_count(user)
        for user in (cast.clerk_a, cast.head_a, cast.clerk_b, cast.clerk_c, cast.officer_1,
                     cast.officer_2, cast.ca_operator, cast.subscriber_user, cast.admin)
    }  # fmt: skip
    assert counts == {
        "clerk_a": 1, "head_a": 1, "clerk_b": 0, "clerk_c": 0, "officer_1": 1, "officer_2": 0,
        "ca_operator": 1, "subscriber_a": 1, "admin": 1,
    }  # fmt: skip
