"""The incident register (docs/privacy.md §2): recording tells every data protection officer,
the 72-hour clock, the moves recorded → notified → closed decided on the locked row and
audited, and the notification to A05 prefilled from the record."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.errors import DomainError
from portal.models import AuditEvent, Notification
from privacy.choices import IncidentStatus
from privacy.models import Incident, IncidentTransition
from privacy.services import incident_close, incident_deadlines_remind, incident_mark_notified
from tests.docx_reading import docx_text, open_docx
from tests.helpers import sign_in
from tests.privacy.world import officer, record

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    return {
        "title": "Lộ bảng tính danh sách cán bộ",
        "detected_at": (timezone.localtime() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "categories": ["identity", "contact"],
        "subjects_count": "120",
        "description": "Bảng tính đính kèm thư gửi ra ngoài.",
        "measures": "Thu hồi thư, đổi mật khẩu hộp thư.",
        "contact": "Đỗ Thị Lan, 0912345678",
        **overrides,
    }


def test_recording_an_incident_tells_every_data_protection_officer_and_nobody_else(cast, client):
    first, second = officer("dpo1"), officer("dpo2")
    sign_in(client, first)
    response = client.post(reverse("privacy:incident_create"), form_data())
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("privacy:incident_detail", args=[incident.pk])
    told = Notification.objects.filter(kind="privacy_incident")
    assert sorted(told.values_list("user__username", flat=True)) == ["dpo1", "dpo2"]
    assert all(n.url == reverse("privacy:incident_detail", args=[incident.pk]) for n in told)
    assert incident.status == IncidentStatus.RECORDED
    assert incident.categories == ["identity", "contact"]
    assert incident.recorded_by == first
    assert AuditEvent.objects.filter(action="privacy_incident.record", object_id=str(incident.pk))
    assert second.pk != first.pk


def test_the_deadline_is_72_hours_after_detection(cast):
    incident = record(officer(), hours_ago=10)
    assert incident.notify_by == incident.detected_at + timedelta(hours=72)


def test_the_clock_counts_down_then_shows_the_delay(cast, client, time_machine):
    detected = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    incident = record(officer(), detected_at=detected)
    time_machine.move_to(detected + timedelta(hours=70, minutes=30), tick=False)
    assert incident.clock() == ("running", "Còn 1 giờ 30 phút")
    time_machine.move_to(detected + timedelta(hours=75, minutes=5), tick=False)
    assert incident.clock() == ("overdue", "Quá hạn 3 giờ 5 phút")
    sign_in(client, cast.admin)
    page = client.get(reverse("privacy:incidents")).content.decode()
    assert 'data-clock="overdue"' in page and "Quá hạn 3 giờ 5 phút" in page


def test_a_notification_stops_the_clock_in_time_or_late(cast):
    dpo = officer()
    in_time = record(dpo, hours_ago=30)
    in_time = incident_mark_notified(
        incident=in_time, by=dpo, notified_at=timezone.now(), reference="Công văn 12/BVDL"
    )
    assert in_time.clock() == ("in_time", "Đã thông báo đúng hạn")
    late = record(dpo, hours_ago=80)
    late = incident_mark_notified(
        incident=late, by=dpo, notified_at=timezone.now(), reference="Thư điện tử"
    )
    state, text = late.clock()
    assert state == "late" and text.startswith("Đã thông báo chậm 8 giờ")


def test_the_lifecycle_runs_recorded_notified_closed_each_move_audited(cast, client):
    dpo = officer()
    incident = record(dpo)
    sign_in(client, dpo)
    notified_at = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("privacy:incident_notify", args=[incident.pk]),
        {"notified_at": notified_at, "reference": "Công văn số 12/BVDL ngày hôm nay"},
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.NOTIFIED
    assert incident.notice_reference == "Công văn số 12/BVDL ngày hôm nay"
    response = client.post(
        reverse("privacy:incident_close", args=[incident.pk]), {"note": "Đã xử lý xong."}
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CLOSED and incident.closed_at is not None
    moves = list(incident.transitions.values_list("from_status", "to_status", "by"))
    assert moves == [("recorded", "notified", dpo.pk), ("notified", "closed", dpo.pk)]
    actions = set(
        AuditEvent.objects.filter(object_id=str(incident.pk), object_type="privacy.incident")
        .values_list("action", flat=True)
    )  # fmt: skip
    assert actions == {
        "privacy_incident.record", "privacy_incident.notify", "privacy_incident.close"
    }  # fmt: skip


def test_moves_off_the_table_are_refused_and_change_nothing(cast):
    dpo = officer()
    incident = record(dpo)
    with pytest.raises(DomainError) as refused:
        incident_close(incident=incident, by=dpo, note="Xong")
    assert refused.value.code == "stale_status"
    incident_mark_notified(incident=incident, by=dpo, notified_at=timezone.now(), reference="x")
    with pytest.raises(DomainError) as refused:
        incident_mark_notified(
            incident=incident, by=dpo, notified_at=timezone.now(), reference="again"
        )
    assert refused.value.code == "stale_status"
    incident.refresh_from_db()
    assert incident.notice_reference == "x"
    assert incident.transitions.count() == 1


def test_the_move_is_decided_on_the_locked_row_not_the_stale_object(cast):
    dpo = officer()
    stale = record(dpo)
    incident_mark_notified(incident=stale, by=dpo, notified_at=timezone.now(), reference="x")
    assert stale.status == IncidentStatus.RECORDED  # the caller's copy is stale
    with pytest.raises(DomainError):
        incident_mark_notified(incident=stale, by=dpo, notified_at=timezone.now(), reference="y")


def test_another_role_cannot_move_an_incident_through_the_service(cast):
    incident = record(officer())
    with pytest.raises(DomainError) as refused:
        incident_mark_notified(
            incident=incident, by=cast.clerk_a, notified_at=timezone.now(), reference="x"
        )
    assert refused.value.code == "forbidden"
    assert Incident.objects.get().status == IncidentStatus.RECORDED


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"categories": []}, "Hãy chọn loại dữ liệu cá nhân bị ảnh hưởng."),
        ({"detected_at": "hôm qua"}, "Nhập ngày giờ dạng ngày/tháng/năm giờ:phút."),
        (
            {"detected_at": (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")},
            "Thời điểm phát hiện không thể ở tương lai.",
        ),
        ({"subjects_count": "-1"}, "Nhập số người bị ảnh hưởng, từ 0 trở lên."),
        ({"subjects_count": "nhiều"}, "Nhập số người bị ảnh hưởng bằng chữ số."),
    ],
)
def test_bad_input_is_a_vietnamese_error_and_records_nothing(cast, client, overrides, message):
    sign_in(client, officer())
    response = client.post(reverse("privacy:incident_create"), form_data(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Incident.objects.exists()
    assert not Notification.objects.filter(kind="privacy_incident").exists()


def test_a_notification_time_before_detection_is_refused_on_the_page(cast, client):
    dpo = officer()
    incident = record(dpo, hours_ago=2)
    sign_in(client, dpo)
    before = (timezone.localtime() - timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("privacy:incident_notify", args=[incident.pk]),
        {"notified_at": before, "reference": "x"},
        follow=True,
    )
    assert response.redirect_chain == [
        (reverse("privacy:incident_detail", args=[incident.pk]), 302)
    ]
    assert "Thời điểm thông báo phải sau thời điểm phát hiện." in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RECORDED


def test_the_notice_to_a05_is_prefilled_as_text_and_as_word(cast, client):
    dpo = officer()
    incident = record(dpo, hours_ago=80)
    sign_in(client, dpo)
    url = reverse("privacy:incident_notice", args=[incident.pk])
    text = client.get(url).content.decode()
    assert "Cục An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao (A05)" in text
    assert "Gửi nhầm danh sách cán bộ" in text
    assert "Số lượng chủ thể dữ liệu bị ảnh hưởng (ước tính): 37" in text
    assert "Ngày sinh" in text and "0912345678" in text
    assert "Lý do thông báo sau 72 giờ" in text  # detected 80 hours ago
    response = client.get(url, {"dinh_dang": "docx"})
    assert response["Content-Disposition"].endswith('.docx"')
    body = docx_text(open_docx(response.content))
    assert "Kính gửi: Cục An ninh mạng" in body
    assert "Gửi nhầm danh sách cán bộ" in body


def test_a_notice_in_time_has_no_lateness_paragraph(cast, client):
    dpo = officer()
    incident = record(dpo, hours_ago=3)
    sign_in(client, dpo)
    text = client.get(reverse("privacy:incident_notice", args=[incident.pk])).content.decode()
    assert "Lý do thông báo sau 72 giờ" not in text


def test_the_officers_are_reminded_a_day_ahead_then_told_once_overdue(cast, time_machine):
    first, second = officer("dpo1"), officer("dpo2")
    detected = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    incident = record(first, detected_at=detected)
    notified = record(first, detected_at=detected)
    incident_mark_notified(incident=notified, by=first, notified_at=timezone.now(), reference="x")
    keys = lambda: sorted(  # noqa: E731
        Notification.objects.filter(kind="privacy_incident")
        .exclude(key__endswith=":recorded")
        .values_list("user__username", "key")
    )
    assert incident_deadlines_remind(now=detected + timedelta(hours=47)) == 0
    assert incident_deadlines_remind(now=detected + timedelta(hours=49)) == 2
    assert incident_deadlines_remind(now=detected + timedelta(hours=60)) == 0  # told once
    assert keys() == [
        ("dpo1", f"privacy_incident:{incident.pk}:due_soon"),
        ("dpo2", f"privacy_incident:{incident.pk}:due_soon"),
    ]
    assert incident_deadlines_remind(now=detected + timedelta(hours=73)) == 2
    assert incident_deadlines_remind(now=detected + timedelta(hours=90)) == 0
    overdue = Notification.objects.get(user=second, key__endswith=":overdue")
    assert "đã quá hạn 72 giờ" in overdue.message
    assert overdue.url == reverse("privacy:incident_detail", args=[incident.pk])


def test_the_form_starts_the_clock_now_unless_told_otherwise(cast, client):
    sign_in(client, officer())
    page = client.get(reverse("privacy:incident_create")).content.decode()
    assert f'value="{timezone.localtime():%Y-%m-%dT}' in page


def test_a_notification_form_left_empty_is_shown_again_with_its_errors(cast, client):
    dpo = officer()
    incident = record(dpo)
    sign_in(client, dpo)
    url = reverse("privacy:incident_notify", args=[incident.pk])
    response = client.post(url, {"notified_at": "", "reference": ""})
    assert response.status_code == 400
    assert 'id="id_reference"' in response.content.decode()
    assert Incident.objects.get().status == IncidentStatus.RECORDED


def test_the_page_names_a_step_no_person_took_as_the_system(cast, client):
    """A log's step without a person (beat's, a worker's) and a recorder whose account is gone
    are named "hệ thống", not a 500 (a `default:` argument resolving `by.username` raised)."""
    dpo = officer()
    incident = record(dpo)
    IncidentTransition.objects.create(
        incident=incident, action="remind", by=None, from_status=IncidentStatus.RECORDED,
        to_status=IncidentStatus.RECORDED, note="Nhắc hạn 72 giờ",
    )  # fmt: skip
    Incident.objects.filter(pk=incident.pk).update(recorded_by=None)
    sign_in(client, dpo)
    response = client.get(reverse("privacy:incident_detail", args=[incident.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "hệ thống — Nhắc hạn 72 giờ" in page
    assert "<dd>hệ thống, " in page  # who recorded it
