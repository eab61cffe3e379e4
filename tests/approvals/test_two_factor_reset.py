"""Resetting a second factor waits for a second administrator (docs/approvals.md): the admin's
action asks for a reason and records one request per user; only another administrator (not
the requester's second account) approves; the reset then runs once, as the requester."""

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from approvals.choices import ApprovalAction, ApprovalStatus
from approvals.models import Approval
from portal.models import AuditEvent
from tests import factories as f
from tests.approvals.admin_forms import CHANGELIST, confirmed_device, reset_in_admin
from tests.approvals.rules import (
    approve_and_run,
    assert_cannot_approve,
    expire,
    race_approvals,
    reject,
    twin_of,
)
from tests.helpers import sign_in


@pytest.fixture
def requested(cast):
    reset_in_admin(cast.admin, cast.officer_1)
    return Approval.objects.get(action=ApprovalAction.TWO_FACTOR_RESET)


def test_the_admin_action_records_one_request_per_user_and_resets_nothing(cast):
    page = reset_in_admin(cast.admin, cast.officer_1, cast.clerk_a)
    approvals = Approval.objects.filter(action=ApprovalAction.TWO_FACTOR_RESET).order_by("pk")
    assert [a.object_key for a in approvals] == [
        f"user:{cast.clerk_a.pk}",
        f"user:{cast.officer_1.pk}",
    ]
    assert all(a.params["user_id"] and a.status == ApprovalStatus.PENDING for a in approvals)
    assert approvals[0].reason == "Mất điện thoại, đã xác minh trực tiếp"
    assert "quản trị viên khác phê duyệt" in page.content.decode()
    assert TOTPDevice.objects.filter(user__in=[cast.officer_1, cast.clerk_a]).count() == 2
    assert not AuditEvent.objects.filter(action="account.2fa_reset").exists()


def test_the_reason_is_required(cast):
    client = sign_in(Client(), cast.admin)
    device = confirmed_device(cast.officer_1)
    page = client.post(
        CHANGELIST, {"action": "reset_two_factor", "_selected_action": [device.pk], "reason": " "}
    )
    assert "Hãy nêu lý do đặt lại" in page.content.decode()
    assert not Approval.objects.exists()


def test_the_admin_delete_button_records_a_request_too(cast):
    client = sign_in(Client(), cast.admin)
    device = confirmed_device(cast.officer_1)
    client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    assert Approval.objects.get().object_key == f"user:{cast.officer_1.pk}"


def test_the_requester_cannot_approve_it_anywhere_nor_under_a_second_account(cast, requested):
    assert_cannot_approve(requested, cast.admin)
    twin = twin_of(cast.admin, "admin_twin", is_superuser=True, is_staff=True)
    assert_cannot_approve(requested, twin)
    assert TOTPDevice.objects.filter(user=cast.officer_1).exists()


def test_a_rejected_request_leaves_the_device(cast, requested, admin_2):
    reject(requested, admin_2)
    assert TOTPDevice.objects.filter(user=cast.officer_1).exists()


def test_an_expired_request_leaves_the_device(cast, requested):
    expire(requested)
    assert TOTPDevice.objects.filter(user=cast.officer_1).exists()


def test_an_approved_request_resets_once_as_the_requester(cast, requested, admin_2):
    approval = approve_and_run(requested, admin_2)
    assert not TOTPDevice.objects.filter(user=cast.officer_1).exists()
    assert "cấp mã đăng ký mới" in approval.outcome
    (event,) = AuditEvent.objects.filter(action="account.2fa_reset")
    assert event.actor_id == cast.admin.pk
    run = AuditEvent.objects.get(action="approval.run")
    assert (run.after["requested_by"], run.after["approved_by"]) == ("admin", "admin_2")


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_administrators_approving_at_once_reset_once(cast, admin_2):
    reset_in_admin(cast.admin, cast.officer_1)
    approval = Approval.objects.get()

    admin_3 = f.UserFactory(username="admin_3", is_superuser=True, is_staff=True)
    race_approvals(approval, [admin_2, admin_3])
    assert not TOTPDevice.objects.filter(user=cast.officer_1).exists()
    assert AuditEvent.objects.filter(action="account.2fa_reset").count() == 1
