"""Granting a privileged role in the admin waits for a second administrator (docs/approvals.md);
the other roles are saved at once. Once approved, `membership_grant` runs once, as the
requester."""

import pytest
from django.test import Client
from django.urls import reverse

from agencies.choices import Role
from agencies.models import Membership
from approvals.choices import ApprovalAction
from approvals.models import Approval
from portal.models import AuditEvent
from tests import factories as f
from tests.approvals.rules import (
    approve_and_run,
    assert_cannot_approve,
    expire,
    race_approvals,
    reject,
    twin_of,
)
from tests.helpers import sign_in

ADD = reverse("admin:agencies_membership_add")


def _add(admin, user, role, org, reason="Phân công theo quyết định 12/QĐ-CĐS"):
    client = sign_in(Client(), admin)
    return client.post(
        ADD,
        {"user": user.pk, "role": role, "organization": org.pk, "approval_reason": reason},
        follow=True,
    )


@pytest.fixture
def newcomer():
    return f.UserFactory(username="newcomer")


@pytest.fixture
def requested(cast, newcomer):
    _add(cast.admin, newcomer, Role.PROVINCIAL_OFFICER, cast.office_1)
    return Approval.objects.get(action=ApprovalAction.ROLE_GRANT)


def _holds(user, role=Role.PROVINCIAL_OFFICER):
    return Membership.objects.filter(user=user, role=role).exists()


def test_a_privileged_role_added_in_the_admin_is_a_request(cast, newcomer, requested):
    assert requested.object_key == f"membership:{newcomer.pk}:provincial_officer:{cast.office_1.pk}"
    assert requested.organization == cast.office_1
    assert requested.reason == "Phân công theo quyết định 12/QĐ-CĐS"
    assert not _holds(newcomer)
    assert not AuditEvent.objects.filter(action="account.role_granted", after__user="newcomer")


def test_a_privileged_role_needs_a_reason(cast, newcomer):
    page = _add(cast.admin, newcomer, Role.CA_OPERATOR, cast.ca_org, reason="")
    assert "Hãy nêu lý do cấp vai trò đặc quyền" in page.content.decode()
    assert not Approval.objects.exists() and not _holds(newcomer, Role.CA_OPERATOR)


def test_a_clerk_role_is_saved_at_once(cast, newcomer):
    _add(cast.admin, newcomer, Role.AGENCY_CLERK, cast.agency_a, reason="")
    assert _holds(newcomer, Role.AGENCY_CLERK)
    assert not Approval.objects.exists()


def test_a_role_is_not_changed_into_a_privileged_one(cast):
    membership = Membership.objects.get(user=cast.clerk_a)
    client = sign_in(Client(), cast.admin)
    page = client.post(
        reverse("admin:agencies_membership_change", args=[membership.pk]),
        {"user": cast.clerk_a.pk, "role": Role.ADMINISTRATOR, "organization": cast.agency_a.pk},
    )
    assert "Không đổi một vai trò sang vai trò đặc quyền" in page.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.AGENCY_CLERK


def test_the_requester_cannot_approve_it_anywhere_nor_under_a_second_account(
    cast, newcomer, requested
):
    assert_cannot_approve(requested, cast.admin)
    assert_cannot_approve(requested, twin_of(cast.admin, "admin_twin", is_superuser=True))
    assert not _holds(newcomer)


def test_a_rejected_or_expired_request_grants_nothing(cast, newcomer, requested, admin_2):
    reject(requested, admin_2)
    assert not _holds(newcomer)
    _add(cast.admin, newcomer, Role.PROVINCIAL_OFFICER, cast.office_1)
    expire(Approval.objects.get(status="pending"))
    assert not _holds(newcomer)


def test_an_approved_request_grants_once_as_the_requester(cast, newcomer, requested, admin_2):
    approve_and_run(requested, admin_2)
    assert Membership.objects.filter(user=newcomer, role=Role.PROVINCIAL_OFFICER).count() == 1
    (event,) = AuditEvent.objects.filter(action="account.role_granted", after__user="newcomer")
    assert event.actor_id == cast.admin.pk


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_administrators_approving_at_once_grant_once(cast, admin_2):
    newcomer = f.UserFactory(username="newcomer")
    _add(cast.admin, newcomer, Role.ADMINISTRATOR, cast.ca_org)
    admin_3 = f.UserFactory(username="admin_3", is_superuser=True, is_staff=True)
    race_approvals(Approval.objects.get(), [admin_2, admin_3])
    assert Membership.objects.filter(user=newcomer, role=Role.ADMINISTRATOR).count() == 1
