"""Ticking "superuser status" in the user admin makes an administrator: it waits for a second
administrator as a privileged role does (docs/approvals.md, "Granting a privileged role").
The user's other changes are saved at once; once approved, `superuser_grant` runs once, as the
requester; unticking it, or a rule that needs no second person, saves at once."""

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client

from approvals.choices import ApprovalAction, ApprovalStatus
from approvals.models import Approval, ApprovalRule
from portal.models import AuditEvent
from tests.approvals.admin_forms import (
    REASON,
    superuser_form,
    tick_superuser,
    user_change_url,
)
from tests.approvals.rules import (
    approve_and_run,
    assert_cannot_approve,
    expire,
    reject,
    twin_of,
)
from tests.helpers import sign_in


def _flag_events(user):
    return AuditEvent.objects.filter(action="account.flags_changed", object_id=str(user.pk))


@pytest.fixture
def requested(cast):
    page = tick_superuser(cast.admin, cast.clerk_a, is_staff=True, first_name="Lan")
    assert page.status_code == 200
    assert "Đã lập đề nghị phê duyệt" in page.content.decode()
    return Approval.objects.get(action=ApprovalAction.ROLE_GRANT)


def test_ticking_superuser_is_a_request_and_the_other_changes_are_saved(cast, requested):
    assert requested.object_key == f"superuser:{cast.clerk_a.pk}"
    assert (requested.reason, requested.status) == (REASON, ApprovalStatus.PENDING)
    cast.clerk_a.refresh_from_db()
    assert not cast.clerk_a.is_superuser
    assert (cast.clerk_a.is_staff, cast.clerk_a.first_name) == (True, "Lan")
    (event,) = _flag_events(cast.clerk_a)
    assert (event.after["is_staff"], event.after["is_superuser"]) == (True, False)
    (logged,) = LogEntry.objects.filter(object_id=str(cast.clerk_a.pk))
    assert "superuser" not in logged.get_change_message().lower()


def test_superuser_needs_a_reason_and_nothing_is_saved_without_one(cast):
    first_name = cast.clerk_a.first_name
    page = tick_superuser(cast.admin, cast.clerk_a, first_name="Lan", reason=" ")
    assert "Hãy nêu lý do cấp quyền superuser" in page.content.decode()
    cast.clerk_a.refresh_from_db()
    assert (cast.clerk_a.is_superuser, cast.clerk_a.first_name) == (False, first_name)
    assert not Approval.objects.exists()


def test_the_requester_cannot_approve_it_anywhere_nor_under_a_second_account(cast, requested):
    assert_cannot_approve(requested, cast.admin)
    assert_cannot_approve(requested, twin_of(cast.admin, "admin_twin", is_superuser=True))
    cast.clerk_a.refresh_from_db()
    assert not cast.clerk_a.is_superuser


def test_a_rejected_or_expired_request_grants_nothing(cast, requested, admin_2):
    reject(requested, admin_2)
    tick_superuser(cast.admin, cast.clerk_a)
    expire(Approval.objects.get(status=ApprovalStatus.PENDING))
    cast.clerk_a.refresh_from_db()
    assert not cast.clerk_a.is_superuser


def test_an_approved_request_makes_a_superuser_once_as_the_requester(cast, requested, admin_2):
    approve_and_run(requested, admin_2)
    cast.clerk_a.refresh_from_db()
    assert cast.clerk_a.is_superuser
    granted = [e for e in _flag_events(cast.clerk_a) if e.after["is_superuser"]]
    assert [(e.actor, e.before["is_superuser"]) for e in granted] == [(cast.admin, False)]


def test_unticking_superuser_is_saved_at_once(cast, admin_2):
    client = sign_in(Client(), cast.admin)
    client.post(user_change_url(admin_2), superuser_form(admin_2, reason="", is_superuser=False))
    admin_2.refresh_from_db()
    assert not admin_2.is_superuser
    assert not Approval.objects.exists()


def test_a_rule_that_needs_no_second_person_saves_the_flag_at_once(cast):
    ApprovalRule.objects.create(action=ApprovalAction.ROLE_GRANT, required=False)
    tick_superuser(cast.admin, cast.clerk_a, reason="")
    cast.clerk_a.refresh_from_db()
    assert cast.clerk_a.is_superuser
    assert not Approval.objects.exists()
