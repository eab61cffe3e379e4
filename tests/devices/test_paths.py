"""The paths of a device's life that docs/devices.md describes, end to end through the services
(and the pages where the flow is composed there)."""

from datetime import date, datetime, time

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from certificates.choices import CertStatus, RevocationReason
from certificates.models import Certificate
from certificates.services import certificate_expire_due, certificate_revoke
from devices.choices import DeviceStatus, ReceiverKind, ReturnReason
from devices.models import Device, LossReport, ReturnObligation
from devices.services import return_minutes_confirm, return_minutes_create
from portal.models import Notification
from portal.workdays import add_working_days, is_working_day, working_days_between
from requests_app import services as letters
from requests_app.choices import FormKind, Outcome, Status
from requests_app.models import CertRequest
from tests.devices.helpers import chain, hand_over, issue_on_token, send
from tests.helpers import sign_in
from tests.requests_app.letters import issue_signed

D = DeviceStatus
LOSS_FORM = {
    "representative_name": "Lò Văn Minh",
    "representative_position": "Chánh Văn phòng",
    "lost_on": "20/11/2026",
    "lost_time": "07:15",
    "lost_place": "Nhà riêng",
    "circumstances": "Bị mất cắp.",
}
pytestmark = pytest.mark.django_db


def test_issue_handover_revoke_return_walks_the_whole_custody_chain(cast, ca, stock):
    # Issue: the CA takes a token from its stock and delivers it to agency A.
    certificate, device = issue_on_token(cast)
    assert device.serial == stock[0].serial
    assert Device.objects.in_stock().count() == 2
    assert device.status == D.DELIVERED_TO_AGENCY

    # Handover to the subscriber; the Mẫu 07 notice goes to the CA when the head signs it.
    notice = hand_over(cast, device)
    device.refresh_from_db()
    assert device.status == D.HANDED_TO_SUBSCRIBER
    assert notice.sent_at is None
    send(cast, notice)
    assert notice.sent_at is not None
    item = notice.items.get()
    assert (item.subscriber_name, item.certificate_serial) == (
        cast.subscriber.full_name,
        certificate.serial,
    )
    assert Notification.objects.filter(user=cast.ca_operator, message__contains="Mẫu 07").exists()

    # Revocation opens the return obligation, due 5 working days after the notice.
    certificate_revoke(
        certificate=certificate, by=cast.ca_operator, reason=RevocationReason.RETIRED
    )
    device.refresh_from_db()
    assert device.status == D.AWAITING_RETURN
    obligation = ReturnObligation.objects.get(device=device)
    today = timezone.localdate()
    assert obligation.reason == ReturnReason.REVOKED
    assert obligation.certificate_serial == certificate.serial
    assert obligation.notified_on == today
    assert obligation.due_on == add_working_days(today, 5)
    assert Notification.objects.filter(user=cast.clerk_a, message__contains=device.serial).exists()

    # Mẫu 08: the clerk collects it and hands it to the CA; the CA confirms receipt.
    minutes = return_minutes_create(
        agency=cast.agency_a,
        devices=[device],
        held_at=timezone.now(),
        place="Văn phòng Sở Tài chính",
        receiver_kind=ReceiverKind.CA,
        agency_representative="Nguyễn Thị Thu Hà",
        by=cast.clerk_a,
    )
    device.refresh_from_db()
    obligation.refresh_from_db()
    assert device.status == D.RETURNED_TO_AGENCY
    assert obligation.minutes == minutes and obligation.closed_at is None
    assert not ReturnObligation.objects.overdue(add_working_days(today, 30)).exists()

    send(cast, minutes)
    return_minutes_confirm(minutes=minutes, by=cast.ca_operator)
    device.refresh_from_db()
    obligation.refresh_from_db()
    assert device.status == D.RETURNED_TO_CA
    assert obligation.closed_at is not None
    assert chain(device) == [
        (D.IN_CA_STOCK, "ca"),
        (D.DELIVERED_TO_AGENCY, "agency"),
        (D.HANDED_TO_SUBSCRIBER, "subscriber"),
        (D.AWAITING_RETURN, "subscriber"),
        (D.RETURNED_TO_AGENCY, "agency"),
        (D.RETURNED_TO_CA, "ca"),
    ]
    assert device.custody.filter(held_until__isnull=True).count() == 1
    last = device.custody.order_by("-pk").first()
    assert last.document_ref == f"Mẫu 08 số {minutes.number}"
    assert last.agency.kind == "ca"


def test_expiry_also_opens_the_return_obligation(cast, ca, stock):
    certificate, device = issue_on_token(cast)
    hand_over(cast, device)
    Certificate.objects.filter(pk=certificate.pk).update(not_after=timezone.now())

    assert certificate_expire_due() == 1

    obligation = ReturnObligation.objects.get(device=device)
    assert obligation.reason == ReturnReason.EXPIRED
    assert Device.objects.get(pk=device.pk).status == D.AWAITING_RETURN
    assert certificate_expire_due() == 0
    assert ReturnObligation.objects.filter(device=device).count() == 1


def test_handover_then_loss_makes_mau_09_and_drafts_the_mau_05_for_the_clerk(
    cast, ca, stock, client
):
    certificate, device = issue_on_token(cast)
    hand_over(cast, device)
    sign_in(client, cast.clerk_a)

    response = client.post(
        reverse("paperwork:device_report_loss", args=[device.pk]),
        {
            "representative_name": "Lò Văn Minh",
            "representative_position": "Chánh Văn phòng",
            "lost_on": "19/11/2026",
            "lost_time": "14:30",
            "lost_place": "Bến xe khách Lai Châu",
            "circumstances": "Thuê bao để quên túi đựng thiết bị trên xe khách.",
            "held_place": "Sở Tài chính tỉnh Lai Châu",
        },
    )

    report = LossReport.objects.get(device=device)
    letter = CertRequest.objects.get(pk=report.revocation_request_id)
    assert response.status_code == 302
    assert response["Location"] == reverse("requests_app:detail", args=[letter.pk])
    assert (letter.form, letter.status, letter.agency) == (
        FormKind.REVOKE,
        Status.DRAFT,
        cast.agency_a,
    )
    row = letter.rows.get()
    assert (row.certificate, row.revoke_reason) == (certificate, RevocationReason.DEVICE_LOST)
    device.refresh_from_db()
    assert device.status == D.LOST
    assert chain(device)[-1] == (D.LOST, "nobody")
    assert (report.lost_on, report.certificate_serial) == (date(2026, 11, 19), certificate.serial)
    assert (report.lost_time, report.representative_name, report.representative_position) == (
        time(14, 30),
        "Lò Văn Minh",
        "Chánh Văn phòng",
    )
    assert "Mẫu 05" in report.measures
    assert not Notification.objects.filter(user=cast.ca_operator, message__contains="Mẫu 09")
    send(cast, report)  # the head signed it: now the CA hears of the loss
    assert Notification.objects.filter(user=cast.ca_operator, message__contains="Mẫu 09").exists()

    # The clerk can submit the drafted letter right away (section 1 comes prefilled).
    page = client.get(response["Location"])
    assert "Mẫu 09" in " ".join(str(m) for m in page.context["messages"])
    letter.contact_name = "Nguyễn Thị Thu Hà"
    letter.contact_mobile = "0912345678"
    letter.contact_email = "ha@laichau.gov.vn"
    letter.save()
    letters.cert_request_submit(cert_request=letter, by=cast.clerk_a)
    assert CertRequest.objects.get(pk=letter.pk).status == Status.AWAITING_HEAD


def test_the_drafted_mau_05_takes_section_1_from_the_agencys_last_letter(cast, ca, stock, client):
    previous = letters.cert_request_create(
        agency=cast.agency_a,
        form=FormKind.REVOKE,
        by=cast.clerk_a,
        contact_name="Nguyễn Thị Thu Hà",
        contact_mobile="0912345678",
        contact_email="ha@laichau.gov.vn",
    )
    letters.cert_request_cancel(cert_request=previous, by=cast.clerk_a)
    _, device = issue_on_token(cast)
    hand_over(cast, device)
    sign_in(client, cast.clerk_a)
    client.post(
        reverse("paperwork:device_report_loss", args=[device.pk]),
        LOSS_FORM,
    )
    letter = CertRequest.objects.get(pk=LossReport.objects.get().revocation_request_id)

    letters.cert_request_submit(cert_request=letter, by=cast.clerk_a)  # no edit needed

    assert letter.status == Status.AWAITING_HEAD
    assert letter.contact_name == "Nguyễn Thị Thu Hà"


def test_a_revocation_under_way_for_another_reason_is_stopped_and_the_loss_drafts_its_own(
    cast, ca, stock, client
):
    certificate, device = issue_on_token(cast)
    hand_over(cast, device)
    open_letter = letters.cert_request_create(
        agency=cast.agency_a, form=FormKind.REVOKE, by=cast.clerk_a
    )
    letters.row_save(
        cert_request=open_letter,
        by=cast.clerk_a,
        data={"certificate": certificate, "revoke_reason": RevocationReason.RETIRED},
    )
    sign_in(client, cast.clerk_a)

    response = client.post(
        reverse("paperwork:device_report_loss", args=[device.pk]),
        LOSS_FORM,
        follow=True,
    )

    report = LossReport.objects.get(device=device)
    assert Device.objects.get(pk=device.pk).status == D.LOST
    letter = CertRequest.objects.get(pk=report.revocation_request_id)
    assert letter.pk != open_letter.pk
    assert letter.rows.get().revoke_reason == RevocationReason.DEVICE_LOST
    assert open_letter.rows.get().outcome == Outcome.STOPPED
    text = " ".join(str(m) for m in response.context["messages"])
    assert "Đã dừng 1 dòng" in text and "Mẫu 05" in text


def test_handover_locked_recovered_through_a_mau_06_letter(cast, ca, stock, client):
    _, device = issue_on_token(cast)
    hand_over(cast, device)
    sign_in(client, cast.clerk_a)

    client.post(reverse("devices:lock", args=[device.pk]))
    device.refresh_from_db()
    assert device.status == D.LOCKED
    page = client.get(reverse("devices:detail", args=[device.pk])).content.decode()
    assert reverse("paperwork:device_recovery", args=[device.pk]) in page  # the offer

    response = client.post(reverse("paperwork:device_recovery", args=[device.pk]))
    letter = CertRequest.objects.get(form=FormKind.RECOVER_DEVICE)
    assert response["Location"] == reverse("requests_app:detail", args=[letter.pk])
    assert letter.rows.get().device == device
    # Asking twice opens the same letter.
    again = client.post(reverse("paperwork:device_recovery", args=[device.pk]))
    assert again["Location"] == response["Location"]
    assert CertRequest.objects.filter(form=FormKind.RECOVER_DEVICE).count() == 1

    letters.cert_request_update(
        cert_request=letter,
        by=cast.clerk_a,
        data={"contact_name": "Nguyễn Văn Hỗ Trợ", "contact_mobile": "0912000111"},
    )
    letters.cert_request_submit(cert_request=letter, by=cast.clerk_a)
    issue_signed(cast, letter)
    letters.cert_request_accept_valid_rows(cert_request=letter, by=cast.officer_1)
    letters.cert_request_process(cert_request=letter, by=cast.officer_1)
    letters.cert_request_run_processing(cert_request_id=letter.pk)

    letter.refresh_from_db()
    device.refresh_from_db()
    assert letter.status == Status.DONE
    assert letter.rows.get().outcome == Outcome.DONE
    assert device.status == D.HANDED_TO_SUBSCRIBER
    assert [s for s, _ in chain(device)][-3:] == [
        D.HANDED_TO_SUBSCRIBER,
        D.LOCKED,
        D.HANDED_TO_SUBSCRIBER,
    ]
    assert device.custody.order_by("-pk").first().document_ref == letter.number


# Friday 24/4/2026: the five working days skip the weekend, 27/4 (Giỗ Tổ Hùng Vương, 10/3
# lunar, observed on Monday), 30/4 and 1/5: Tuesday 28, Wednesday 29, Monday 4, Tuesday 5,
# Wednesday 6 May.
NOTICE_DAY = date(2026, 4, 24)


def test_the_holiday_calendar_behind_the_overdue_test():
    assert [is_working_day(date(2026, 4, d)) for d in (27, 28, 29, 30)] == [
        False,
        True,
        True,
        False,
    ]
    assert not is_working_day(date(2026, 5, 1))
    assert add_working_days(NOTICE_DAY, 5) == date(2026, 5, 6)
    assert working_days_between(NOTICE_DAY, date(2026, 5, 7)) == 6


def test_a_return_becomes_overdue_on_the_6th_working_day_across_the_holidays(cast, ca, stock):
    with time_machine.travel(datetime(2026, 4, 24, 9, 0, tzinfo=timezone.get_current_timezone())):
        certificate, device = issue_on_token(cast)
        hand_over(cast, device)
        certificate_revoke(
            certificate=certificate, by=cast.ca_operator, reason=RevocationReason.RESIGNED
        )
    obligation = ReturnObligation.objects.get(device=device)
    assert (obligation.notified_on, obligation.due_on) == (NOTICE_DAY, date(2026, 5, 6))

    def overdue_on(day):
        return ReturnObligation.objects.visible_to(cast.clerk_a).overdue(day).count()

    assert overdue_on(date(2026, 5, 5)) == 0
    assert overdue_on(date(2026, 5, 6)) == 0  # the 5th working day: still in time
    assert overdue_on(date(2026, 5, 7)) == 1  # the 6th working day
    with time_machine.travel(datetime(2026, 5, 7, 8, 0, tzinfo=timezone.get_current_timezone())):
        assert ReturnObligation.objects.visible_to(cast.officer_1).overdue().count() == 1
        assert ReturnObligation.objects.visible_to(cast.ca_operator).overdue().count() == 1
        assert ReturnObligation.objects.visible_to(cast.clerk_b).overdue().count() == 0
        assert ReturnObligation.objects.visible_to(cast.officer_2).overdue().count() == 0
        assert Device.objects.overdue_return().get() == device
    certificate.refresh_from_db()
    assert certificate.status == CertStatus.REVOKED


def test_an_obligation_noticed_on_friday_24_4_2026_is_overdue_from_thursday_7_5(cast, handed):
    """The same deadline without the certificate: the devices service alone."""
    from devices.services import device_return_obligation_open

    obligation = device_return_obligation_open(
        device=handed, reason=ReturnReason.REVOKED, notified_on=NOTICE_DAY, by=cast.ca_operator
    )
    assert obligation.due_on == date(2026, 5, 6)
    tz = timezone.get_current_timezone()
    for day, overdue in ((6, False), (7, True)):
        with time_machine.travel(datetime(2026, 5, day, 23, 59, tzinfo=tz)):
            assert ReturnObligation.objects.overdue().exists() is overdue
            assert Device.objects.with_return_due().get(pk=handed.pk).return_overdue is overdue


def test_the_loss_form_refuses_a_loss_without_its_time_or_representative(cast, ca, stock, client):
    _, device = issue_on_token(cast)
    hand_over(cast, device)
    sign_in(client, cast.clerk_a)
    form = {k: v for k, v in LOSS_FORM.items() if k not in ("lost_time", "representative_name")}

    response = client.post(reverse("paperwork:device_report_loss", args=[device.pk]), form)

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"lost_time", "representative_name"}
    assert not LossReport.objects.exists()


def test_the_loss_form_refuses_a_time_of_loss_later_than_now(cast, ca, stock, client):
    _, device = issue_on_token(cast)
    hand_over(cast, device)
    # Today, two hours from now: at 10:00 tomorrow, so that "later" stays on the same day
    # whenever the test runs (after 22:00 it would be tomorrow, a date the form refuses first).
    morning = (timezone.localtime() + timezone.timedelta(days=1)).replace(hour=10, minute=0)
    with time_machine.travel(morning, tick=False):
        sign_in(client, cast.clerk_a)
        later = timezone.localtime() + timezone.timedelta(hours=2)
        form = {
            **LOSS_FORM,
            "lost_on": later.strftime("%d/%m/%Y"),
            "lost_time": later.strftime("%H:%M"),
        }

        response = client.post(reverse("paperwork:device_report_loss", args=[device.pk]), form)

    assert response.status_code == 200
    assert "Thời điểm thất lạc không thể sau lúc này." in response.content.decode()
    assert not LossReport.objects.exists()
