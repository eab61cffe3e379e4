"""The approval core (docs/approvals.md) on its own kind, the reset of a second factor: who may
request and decide, one open request per object, never the requester under any account (the
service, the page and the API), nothing done when rejected or expired, the run exactly once."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone, translation
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.choices import Role
from approvals.choices import ApprovalAction, ApprovalStatus
from approvals.models import Approval, ApprovalRule
from approvals.services import (
    approval_approve,
    approval_cancel,
    approval_needed,
    approval_reject,
    approval_request,
    approval_run,
    approvals_awaiting,
    approvals_expire_due,
)
from portal.errors import DomainError
from portal.models import AuditEvent, Notification
from tests import factories as f
from tests.helpers import postgresql_only, sign_in, totp_code

PASSWORD = "mat-khau-thu-nghiem"
RESET = ApprovalAction.TWO_FACTOR_RESET
BATCH = ApprovalAction.REVOKE_BATCH


def admin(name: str, **extra):
    return f.UserFactory(username=name, is_staff=True, is_superuser=True, **extra)


@pytest.fixture
def people(db):
    """Two administrators, a user who lost their phone (a confirmed authenticator)."""
    first, second = admin("quantri.mot"), admin("quantri.hai")
    holder = f.UserFactory(username="mat.dien.thoai")
    TOTPDevice.objects.create(user=holder, name="Điện thoại", confirmed=True)
    return first, second, holder


def request_reset(by, holder) -> Approval:
    return approval_request(
        action=RESET,
        object_key=f"user:{holder.pk}",
        object_label=holder.username,
        params={"user_id": holder.pk},
        by=by,
        reason="Mất điện thoại",
    )


def has_authenticator(user) -> bool:
    return TOTPDevice.objects.filter(user=user).exists()


def test_a_request_waits_and_tells_the_other_approvers_not_the_requester(people):
    first, second, holder = people
    approval = request_reset(first, holder)
    assert approval.status == ApprovalStatus.PENDING
    assert has_authenticator(holder)
    told = set(
        Notification.objects.filter(kind="approval").values_list("user__username", flat=True)
    )
    assert told == {"quantri.hai"}
    assert approvals_awaiting(second) == [approval]
    assert approvals_awaiting(first) == []


def test_an_object_has_one_open_request_at_a_time(people):
    first, second, holder = people
    request_reset(first, holder)
    with pytest.raises(DomainError) as refused:
        request_reset(second, holder)
    assert refused.value.code == "already_open"
    assert Approval.objects.count() == 1


def test_the_requester_cannot_approve_their_own_request(people):
    first, _second, holder = people
    approval = request_reset(first, holder)
    with pytest.raises(DomainError) as refused:
        approval_approve(approval=approval, by=first)
    assert refused.value.code == "own_request"
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.PENDING
    assert has_authenticator(holder)


def test_a_second_account_of_the_same_person_cannot_approve(people):
    first, _second, holder = people
    # A person's record is unique by ID number and linked to one account: a second account
    # shows as the person's official e-mail on it.
    person = f.PersonFactory(user=first, official_email="tran.thi.b@mic.gov.vn")
    other_account = admin("quantri.mot.tai.khoan.hai", email=person.official_email.upper())
    approval = request_reset(first, holder)
    with pytest.raises(DomainError) as refused:
        approval_approve(approval=approval, by=other_account)
    assert refused.value.code == "own_request"
    assert approvals_awaiting(other_account) == []


def test_two_accounts_with_one_email_are_one_person(people):
    first, _second, holder = people
    first.email = "nguyen.van.a@mic.gov.vn"
    first.save()
    twin = admin("quantri.ban.sao", email="Nguyen.Van.A@mic.gov.vn")
    approval = request_reset(first, holder)
    with pytest.raises(DomainError):
        approval_reject(approval=approval, by=twin, reason="Không đồng ý")


def test_a_user_without_the_kinds_role_cannot_decide(people):
    first, _second, holder = people
    clerk = f.MembershipFactory(role=Role.AGENCY_CLERK).user
    approval = request_reset(first, holder)
    with pytest.raises(DomainError) as refused:
        approval_approve(approval=approval, by=clerk)
    assert refused.value.code == "forbidden"


def test_the_page_refuses_the_requesters_own_approval(client, people):
    first, _second, holder = people
    approval = request_reset(first, holder)
    sign_in(client, first)
    data = {"reauth_password": PASSWORD}
    if TOTPDevice.objects.filter(user=first, confirmed=True).exists():
        data["reauth_code"] = totp_code(first)
    response = client.post(f"/phe-duyet/{approval.pk}/phe-duyet/", data, follow=True)
    assert "không thể tự phê duyệt" in response.content.decode()
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.PENDING
    page = client.get(f"/phe-duyet/{approval.pk}/").content.decode()
    assert f'action="/phe-duyet/{approval.pk}/phe-duyet/"' not in page


def test_the_api_refuses_the_requesters_own_approval(client, people):
    first, _second, holder = people
    approval = request_reset(first, holder)
    sign_in(client, first)
    data = {"password": PASSWORD}
    if TOTPDevice.objects.filter(user=first, confirmed=True).exists():
        data["otp"] = totp_code(first)
    response = client.post(
        f"/api/v1/phe-duyet/{approval.pk}/phe-duyet/", data, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["code"] == "own_request"
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.PENDING


def test_a_wrong_password_approves_nothing(client, people):
    first, second, holder = people
    approval = request_reset(first, holder)
    sign_in(client, second)
    response = client.post(
        f"/phe-duyet/{approval.pk}/phe-duyet/", {"reauth_password": "sai", "reauth_code": "000000"}
    )
    assert response.status_code == 400
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.PENDING


def test_the_page_approves_with_the_password_and_the_run_resets_as_the_requester(client, people):
    first, second, holder = people
    approval = request_reset(first, holder)
    sign_in(client, second)
    data = {"reauth_password": PASSWORD, "note": "Đã gọi điện xác minh"}
    if TOTPDevice.objects.filter(user=second, confirmed=True).exists():
        data["reauth_code"] = totp_code(second)
    client.post(f"/phe-duyet/{approval.pk}/phe-duyet/", data)
    approval.refresh_from_db()
    assert (approval.status, approval.decided_by) == (ApprovalStatus.APPROVED, second)
    approval_run(approval_id=approval.pk)
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.DONE
    assert not has_authenticator(holder)
    reset = AuditEvent.objects.get(action="account.2fa_reset")
    assert reset.actor == first
    ran = AuditEvent.objects.get(action="approval.run")
    assert (ran.after["requested_by"], ran.after["approved_by"]) == ("quantri.mot", "quantri.hai")


def test_a_rejected_request_changes_nothing_and_tells_the_requester(people):
    first, second, holder = people
    approval = request_reset(first, holder)
    approval_reject(approval=approval, by=second, reason="Chưa xác minh được người dùng")
    approval_run(approval_id=approval.pk)
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.REJECTED
    assert has_authenticator(holder)
    assert Notification.objects.filter(user=first, key=f"approval:{approval.pk}:rejected").exists()
    with pytest.raises(DomainError):
        approval_approve(approval=approval, by=second)


def test_a_rejection_needs_a_reason(people):
    first, second, holder = people
    approval = request_reset(first, holder)
    with pytest.raises(DomainError):
        approval_reject(approval=approval, by=second, reason="  ")
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.PENDING


def test_an_expired_request_changes_nothing_and_cannot_be_approved(people):
    first, second, holder = people
    approval = request_reset(first, holder)
    Approval.objects.filter(pk=approval.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(DomainError) as refused:
        approval_approve(approval=approval, by=second)
    assert refused.value.code == "expired"
    assert approvals_expire_due() == 1
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.EXPIRED
    assert has_authenticator(holder)
    # the object is free again: a new request may be made
    assert request_reset(first, holder).status == ApprovalStatus.PENDING


def test_only_the_requester_cancels(people):
    first, second, holder = people
    approval = request_reset(first, holder)
    with pytest.raises(DomainError):
        approval_cancel(approval=approval, by=second)
    approval_cancel(approval=approval, by=first)
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.CANCELLED
    assert has_authenticator(holder)


def test_a_run_delivered_twice_resets_once(people):
    first, second, holder = people
    approval = request_reset(first, holder)
    approval_approve(approval=approval, by=second)
    approval_run(approval_id=approval.pk)
    approval_run(approval_id=approval.pk)
    assert AuditEvent.objects.filter(action="account.2fa_reset").count() == 1
    assert AuditEvent.objects.filter(action="approval.run").count() == 1


def test_rules_decide_by_count_and_the_most_specific_organisation(db):
    agency = f.AgencyFactory()
    action = ApprovalAction.REVOKE_BATCH
    assert not approval_needed(action=action, count=50)  # the default: above 50
    assert approval_needed(action=action, count=51)
    ApprovalRule.objects.create(action=action, organization=None, above=10)
    ApprovalRule.objects.create(action=action, organization=agency.parent or agency, above=100)
    assert approval_needed(action=action, count=11)
    assert not approval_needed(action=action, organization=agency, count=100)
    assert approval_needed(action=action, organization=agency, count=101)


@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_the_same_moment_run_the_action_once(people):
    if connection.vendor != "postgresql":
        postgresql_only("row locks between concurrent approvals")
    first, second, holder = people
    third = admin("quantri.ba")
    approval = request_reset(first, holder)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(user):
        try:
            barrier.wait()
            approval_approve(approval=approval, by=user)
            approval_run(approval_id=approval.pk)
            outcomes.append("approved")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(user,)) for user in (second, third)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["approved", "stale_status"]
    assert AuditEvent.objects.filter(action="account.2fa_reset").count() == 1
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.DONE


def test_a_rule_changed_in_the_admin_is_a_request_then_audited_with_its_reason_and_told(
    client, people
):
    first, second, _holder = people
    sign_in(client, first)
    response = client.post(
        "/quan-tri/approvals/approvalrule/add/",
        {
            "action": ApprovalAction.REVOKE_BATCH,
            "required": "on",
            "above": "500",
            "expires_hours": "72",
            "change_reason": "Sáp nhập: các đợt thu hồi lớn",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not ApprovalRule.objects.exists()  # until another administrator approves
    approval = Approval.objects.get(action=ApprovalAction.RULE_CHANGE)
    assert Notification.objects.filter(user=second, subject=f"approval:{approval.pk}").exists()
    approval_approve(approval=approval, by=second)
    approval_run(approval_id=approval.pk)
    event = AuditEvent.objects.get(action="approval_rule.create")
    assert (event.actor, event.reason, event.after["above"]) == (
        first,
        "Sáp nhập: các đợt thu hồi lớn",
        500,
    )
    told = Notification.objects.filter(kind="approval", subject="approval_rule:" + BATCH)
    assert told.filter(user=second).exists()
    assert not told.filter(user=first).exists()


def test_a_rule_without_a_reason_is_not_saved(client, people):
    first, _second, _holder = people
    sign_in(client, first)
    client.post(
        "/quan-tri/approvals/approvalrule/add/",
        {"action": ApprovalAction.REVOKE_BATCH, "above": "500", "expires_hours": "72"},
    )
    assert not ApprovalRule.objects.exists()


def test_the_approvers_notice_and_the_requesters_are_shown_in_each_readers_language(people):
    """Stored as a code and its parameters (docs/architecture.md §2, "Languages")."""
    first, second, holder = people
    with translation.override("en"):  # asked while the requester reads in English
        approval = request_reset(first, holder)
    notice = Notification.objects.get(user=second)
    assert notice.message.startswith(f"Đề nghị phê duyệt #{approval.pk}: ")  # e-mail: Vietnamese
    with translation.override("en"):
        action_en = str(RESET.label)
        assert notice.text == (f"Approval request #{approval.pk}: {action_en} — {holder.username}.")
    with translation.override("vi"):
        assert notice.text == notice.message

    approval_reject(approval=approval, by=second, reason="Chưa xác minh")
    rejected = Notification.objects.get(user=first, key__endswith=":rejected")
    with translation.override("en"):
        assert rejected.text == (
            f"Request #{approval.pk} ({holder.username}) was rejected: Chưa xác minh"
        )
