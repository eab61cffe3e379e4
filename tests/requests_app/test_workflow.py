"""The letter workflow through its pages: every step leaves a Transition row and an audit
event, the next actor and the drafting clerk are told (in the portal and by e-mail), a letter
returned for correction comes back, and a refusal carries its written reasons.

The builders (`letter_at`, `draft`…) are in letters.py, shared with the other review tests.
"""

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from agencies.choices import Role
from portal.models import AuditEvent, Notification
from requests_app import services
from requests_app.choices import FormKind, Outcome, Status
from requests_app.models import CertRequest, Transition
from tests.helpers import sign_in
from tests.requests_app.letters import (
    draft,
    head_signs,
    letter_at,
    page_messages,
    post_action,
    signing_ready,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def emails(cast):
    """Give the cast e-mail addresses so that notifications are also mailed."""
    for user in (cast.clerk_a, cast.head_a, cast.officer_1, cast.officer_2, cast.ca_operator):
        user.email = f"{user.username}@thunghiem.gov.vn"
        user.save(update_fields=["email"])
    return cast


# --- transitions and audit events ------------------------------------------------------------
def test_every_step_of_a_01_letter_writes_a_transition_and_an_audit_event(cast, client, ca):
    cert_request = draft(cast, rows=2)
    signing_ready(cast)
    steps = [
        (cast.clerk_a, "submit", {}),
        (cast.head_a, "issue", {"number": "15/STC-VP"}),
        (cast.officer_1, "forward", {}),
        (cast.ca_operator, "accept_valid", {}),
        (cast.ca_operator, "process", {}),
    ]
    for user, action, data in steps:
        sign_in(client, user)
        response = post_action(client, cert_request, action, **data)
        assert response.status_code == 302, (action, response.status_code)
        if action == "issue":
            head_signs(cert_request, by=cast.head_a)
    services.cert_request_run_processing(cert_request_id=cert_request.pk)  # the worker's body

    cert_request.refresh_from_db()
    assert cert_request.status == Status.DONE
    assert cert_request.number == "15/STC-VP"
    moves = list(Transition.objects.filter(cert_request=cert_request).order_by("pk"))
    assert [(t.action, t.from_status, t.to_status) for t in moves] == [
        ("submit", Status.DRAFT, Status.AWAITING_HEAD),
        ("issue", Status.AWAITING_HEAD, Status.ISSUED),
        ("receive", Status.ISSUED, Status.PROVINCE_REVIEW),
        ("forward", Status.PROVINCE_REVIEW, Status.FORWARDED),
        ("process", Status.FORWARDED, Status.IN_PROCESS),
        ("complete", Status.IN_PROCESS, Status.DONE),
    ]
    assert [t.by for t in moves] == [
        cast.clerk_a,
        cast.head_a,
        None,
        cast.officer_1,
        cast.ca_operator,
        None,
    ]
    audited = list(
        AuditEvent.objects.filter(
            object_type="requests_app.certrequest",
            object_id=str(cert_request.pk),
            action__in=[f"cert_request.{t.action}" for t in moves],
        )
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert audited == [f"cert_request.{t.action}" for t in moves]
    assert all(row.outcome == Outcome.DONE for row in cert_request.rows.all())
    assert all(row.result_certificate_id for row in cert_request.rows.all())


def test_the_history_on_the_page_shows_who_when_and_the_note(cast, client):
    cert_request = letter_at(cast, Status.PROVINCE_REVIEW)
    sign_in(client, cast.officer_1)
    post_action(client, cert_request, "return", note="Thiếu ngày cấp CCCD ở dòng 1.")
    sign_in(client, cast.clerk_a)
    response = client.get(reverse("requests_app:detail", args=[cert_request.pk]))
    history = response.context["transitions"]
    assert [t.action for t in history] == ["submit", "issue", "receive", "return"]
    html = response.content.decode()
    assert "Thiếu ngày cấp CCCD ở dòng 1." in html
    assert "Trả lại để sửa" in html  # the move's label, not its code
    assert timezone.localtime(history[-1].at).strftime("%d/%m/%Y") in html
    # Who acted, with the role and organisation they act for, read with the history
    officer_line = (
        f"{Role.PROVINCIAL_OFFICER.label} · {cast.officer_1.memberships.get().organization.name}"
    )
    assert history[-1].role_line == officer_line
    assert escape(officer_line) in html


# --- returned for correction -------------------------------------------------------------------
def test_a_letter_returned_for_correction_comes_back_and_goes_on(cast, client):
    cert_request = letter_at(cast, Status.PROVINCE_REVIEW, rows=2)
    first_number = cert_request.number
    sign_in(client, cast.officer_1)
    response = post_action(client, cert_request, "return", note="Sửa chức vụ ở dòng 2.")
    assert response.status_code == 302

    cert_request.refresh_from_db()
    assert cert_request.status == Status.DRAFT
    assert cert_request.due_on is None
    assert Notification.objects.filter(user=cast.clerk_a, message__contains="Sửa chức vụ").exists()
    assert set(cert_request.rows.values_list("outcome", flat=True)) == {Outcome.PENDING}

    # The clerk corrects the row and sends the letter again; the head signs it again.
    row = cert_request.rows.get(position=2)
    services.row_save(
        cert_request=cert_request, by=cast.clerk_a, row=row, data={"position_title": "Phó phòng"}
    )
    sign_in(client, cast.clerk_a)
    assert post_action(client, cert_request, "submit").status_code == 302
    sign_in(client, cast.head_a)
    assert post_action(client, cert_request, "issue").status_code == 302
    head_signs(cert_request, by=cast.head_a)
    cert_request.refresh_from_db()
    assert cert_request.status == Status.PROVINCE_REVIEW
    assert cert_request.number and cert_request.number != first_number
    sign_in(client, cast.officer_1)
    assert post_action(client, cert_request, "forward").status_code == 302
    cert_request.refresh_from_db()
    assert cert_request.status == Status.FORWARDED
    assert list(cert_request.transitions.values_list("action", flat=True)) == [
        "submit",
        "issue",
        "receive",
        "return",
        "submit",
        "issue",
        "receive",
        "forward",
    ]


def test_the_ca_can_return_a_forwarded_letter_for_correction(cast, client):
    cert_request = letter_at(cast, Status.FORWARDED)
    sign_in(client, cast.ca_operator)
    post_action(client, cert_request, "return", note="Ảnh CCCD không rõ.")
    cert_request.refresh_from_db()
    assert cert_request.status == Status.DRAFT
    assert cert_request.transitions.last().by == cast.ca_operator


@pytest.mark.parametrize("action", ["return", "refuse"])
def test_returning_or_refusing_needs_a_written_reason(cast, client, action):
    cert_request = letter_at(cast, Status.PROVINCE_REVIEW)
    sign_in(client, cast.officer_1)
    response = post_action(client, cert_request, action, note="   ")
    assert response.status_code == 302  # back to the letter, never an error page
    cert_request.refresh_from_db()
    assert cert_request.status == Status.PROVINCE_REVIEW
    assert "Hãy ghi rõ lý do." in page_messages(client, cert_request)


def test_the_head_sends_a_draft_back_with_a_reason(cast, client):
    cert_request = letter_at(cast, Status.AWAITING_HEAD)
    sign_in(client, cast.head_a)
    post_action(client, cert_request, "send_back", note="")
    cert_request.refresh_from_db()
    assert cert_request.status == Status.AWAITING_HEAD
    post_action(client, cert_request, "send_back", note="Bổ sung địa chỉ nhận.")
    cert_request.refresh_from_db()
    assert cert_request.status == Status.DRAFT
    assert cert_request.transitions.last().note == "Bổ sung địa chỉ nhận."
    assert Notification.objects.filter(user=cast.clerk_a, message__contains="Bổ sung").exists()


# --- refused with reasons ----------------------------------------------------------------------
def test_a_refused_letter_refuses_its_rows_with_the_reasons(cast, client, emails):
    cert_request = letter_at(cast, Status.PROVINCE_REVIEW, rows=3)
    sign_in(client, cast.officer_1)
    reason = "Cơ quan đã có văn bản khác đề nghị cấp cho các cá nhân này."
    response = post_action(client, cert_request, "refuse", note=reason)
    assert response.status_code == 302
    cert_request.refresh_from_db()
    assert cert_request.status == Status.REFUSED
    assert (
        list(cert_request.rows.values_list("outcome", "outcome_note", "is_open"))
        == [(Outcome.REFUSED, reason, False)] * 3
    )
    notice = Notification.objects.get(user=cast.clerk_a)
    assert reason in notice.message
    sign_in(client, cast.clerk_a)
    html = client.get(reverse("requests_app:detail", args=[cert_request.pk])).content.decode()
    box = html.split('data-last-reason="refuse"', 1)[1].split("</div>", 1)[0]
    assert reason in box  # the written reasons stand at the top of the letter
    assert notice.url == reverse("requests_app:detail", args=[cert_request.pk])


def test_a_refused_row_carries_its_reason_and_the_rest_go_on(cast, client):
    cert_request = letter_at(cast, Status.PROVINCE_REVIEW, rows=2)
    first, second = cert_request.rows.order_by("position")
    sign_in(client, cast.officer_1)
    url = reverse("requests_app:row_decide", args=[cert_request.pk, first.pk])
    response = client.post(url, {"decision": "refuse", "note": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Hãy ghi rõ lý do." in response.content.decode()
    first.refresh_from_db()
    assert first.outcome == Outcome.PENDING

    client.post(url, {"decision": "refuse", "note": "Trùng với văn bản số 12."})
    post_action(client, cert_request, "forward")
    cert_request.refresh_from_db()
    first.refresh_from_db()
    second.refresh_from_db()
    assert cert_request.status == Status.FORWARDED
    assert (first.outcome, first.outcome_note) == (Outcome.REFUSED, "Trùng với văn bản số 12.")
    assert second.outcome == Outcome.PENDING  # the CA decides the forwarded rows itself


# --- notifications -------------------------------------------------------------------------------
def _told(user) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("message", flat=True))


def test_each_step_tells_the_next_actor_and_no_one_else(cast, client, ca):
    cert_request = draft(cast)
    signing_ready(cast)
    sign_in(client, cast.clerk_a)
    post_action(client, cert_request, "submit")
    assert len(_told(cast.head_a)) == 1 and "chờ ký" in _told(cast.head_a)[0]
    assert _told(cast.officer_1) == []

    sign_in(client, cast.head_a)
    post_action(client, cert_request, "issue")
    assert _told(cast.officer_1) == []  # not before the signed version reaches them
    head_signs(cert_request, by=cast.head_a)
    assert len(_told(cast.officer_1)) == 1
    assert _told(cast.officer_2) == []  # another province's office
    assert _told(cast.ca_operator) == []

    sign_in(client, cast.officer_1)
    post_action(client, cert_request, "forward")
    assert len(_told(cast.ca_operator)) == 1
    assert Notification.objects.filter(url=f"/van-ban/{cert_request.pk}/").count() == 3

    sign_in(client, cast.ca_operator)
    post_action(client, cert_request, "accept_valid")
    post_action(client, cert_request, "process")
    services.cert_request_run_processing(cert_request_id=cert_request.pk)
    assert any("Hoàn thành" in m for m in _told(cast.clerk_a))
    assert _told(cast.clerk_b) == []


def test_notifications_are_also_mailed_after_commit(
    cast, client, emails, mailoutbox, django_capture_on_commit_callbacks
):
    cert_request = letter_at(cast, Status.AWAITING_HEAD)
    signing_ready(cast)
    mailoutbox.clear()
    sign_in(client, cast.head_a)
    post_action(client, cert_request, "issue", number="7/STC-VP")
    with django_capture_on_commit_callbacks(execute=True):
        head_signs(cert_request, by=cast.head_a)
    assert [m.to for m in mailoutbox] == [["officer_1@thunghiem.gov.vn"]]
    assert "7/STC-VP" in mailoutbox[0].body
    assert f"/van-ban/{cert_request.pk}/" in mailoutbox[0].body

    mailoutbox.clear()
    sign_in(client, cast.officer_1)
    with django_capture_on_commit_callbacks(execute=True):
        post_action(client, cert_request, "return", note="Thiếu số điện thoại người liên hệ.")
    assert [m.to for m in mailoutbox] == [["clerk_a@thunghiem.gov.vn"]]
    assert "Thiếu số điện thoại người liên hệ." in mailoutbox[0].body


# --- Mẫu 04 and 06 stay with the province --------------------------------------------------
@pytest.mark.parametrize("form", [FormKind.RENEW_CHANGE, FormKind.RECOVER_DEVICE])
def test_renewals_and_recoveries_are_processed_by_the_province_not_forwarded(cast, client, form):
    cert_request = letter_at(cast, Status.PROVINCE_REVIEW, form)
    sign_in(client, cast.officer_1)
    response = post_action(client, cert_request, "forward")
    assert response.status_code == 403
    post_action(client, cert_request, "accept_valid")
    post_action(client, cert_request, "process")
    cert_request.refresh_from_db()
    assert cert_request.status == Status.IN_PROCESS
    assert CertRequest.objects.with_progress().get(pk=cert_request.pk).rows_to_process == 1
    assert not CertRequest.objects.ca_queue(cast.ca_operator).filter(pk=cert_request.pk).exists()


def test_a_recovery_is_due_in_one_working_day_and_the_rest_in_three(cast, settings):
    from portal.workdays import add_working_days

    recovery = letter_at(cast, Status.PROVINCE_REVIEW, FormKind.RECOVER_DEVICE)
    issue = letter_at(cast, Status.PROVINCE_REVIEW, FormKind.ISSUE_PERSON)
    today = timezone.localdate()
    assert recovery.due_on == add_working_days(today, settings.PORTAL_RECOVERY_WORKING_DAYS)
    assert issue.due_on == add_working_days(today, settings.PORTAL_PROCESSING_WORKING_DAYS)
