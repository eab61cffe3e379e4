"""A request's page follows its run (docs/approvals.md, "Where it shows"): while the request is
approved and the worker carries it out, its state is polled by htmx and the page reloads once it
has ended; a request that has run, or not yet been approved, is a plain page that polls nothing.
Without JavaScript the page says the action is running, with a link to reload it."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from approvals.choices import ApprovalAction, ApprovalStatus
from approvals.models import Approval
from approvals.services import approval_approve, approval_request, approval_run
from tests import factories as f
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db

POLLING = 'hx-trigger="every'
HTMX = {"HX-Request": "true"}


@pytest.fixture
def approval(cast):
    holder = f.UserFactory(username="mat.dien.thoai")
    TOTPDevice.objects.create(user=holder, name="Điện thoại", confirmed=True)
    return approval_request(
        action=ApprovalAction.TWO_FACTOR_RESET,
        object_key=f"user:{holder.pk}",
        object_label=holder.username,
        params={"user_id": holder.pk},
        by=cast.admin,
        reason="Mất điện thoại",
    )


@pytest.fixture
def requester(cast):
    return sign_in(Client(), cast.admin)


def _page(client, approval) -> str:
    response = client.get(reverse("approvals:detail", args=[approval.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_of_an_approved_request_polls_its_state_and_the_done_page_does_not(
    approval, requester, admin_2
):
    assert POLLING not in _page(requester, approval)  # pending: nothing runs yet

    approval_approve(approval=approval, by=admin_2)
    page = _page(requester, approval)
    state = reverse("approvals:status", args=[approval.pk])
    assert POLLING in page and f'hx-get="{state}"' in page
    assert "Thao tác đang được thực hiện" in page
    assert f'href="{reverse("approvals:detail", args=[approval.pk])}"' in page  # no JavaScript

    approval_run(approval_id=approval.pk)
    page = _page(requester, approval)
    assert POLLING not in page
    assert 'data-status="done"' in page and 'id="approval-outcome"' in page
    assert "Đã đặt lại xác thực hai lớp" in page


def test_the_polled_state_reloads_the_page_once_the_run_has_ended(approval, requester, admin_2):
    approval_approve(approval=approval, by=admin_2)
    state = reverse("approvals:status", args=[approval.pk])

    running = requester.get(state, headers=HTMX)
    assert running.status_code == 200
    assert "HX-Refresh" not in running
    assert POLLING in running.content.decode()

    approval_run(approval_id=approval.pk)
    ended = requester.get(state, headers=HTMX)
    assert ended["HX-Refresh"] == "true"
    assert POLLING not in ended.content.decode()
    assert 'data-status="done"' in ended.content.decode()


def test_a_failed_attempt_waiting_for_its_next_run_is_shown_by_its_class(
    approval, requester, admin_2
):
    approval_approve(approval=approval, by=admin_2)
    Approval.objects.filter(pk=approval.pk).update(run_attempts=1, run_error="RuntimeError")

    page = _page(requester, approval)

    assert POLLING in page
    assert "Lần thực hiện thứ 1 không thành công (lỗi RuntimeError)" in page


def test_a_failed_request_is_a_plain_page_with_its_outcome(approval, requester, admin_2):
    approval_approve(approval=approval, by=admin_2)
    Approval.objects.filter(pk=approval.pk).update(
        status=ApprovalStatus.FAILED, outcome="Tài khoản không còn tồn tại.", ran_at=timezone.now()
    )

    page = _page(requester, approval)

    assert POLLING not in page
    assert 'data-status="failed"' in page and "Tài khoản không còn tồn tại." in page


def test_the_state_is_out_of_scope_for_other_people(approval, cast):
    clerk = sign_in(Client(), cast.clerk_a)
    assert clerk.get(reverse("approvals:status", args=[approval.pk])).status_code == 404
