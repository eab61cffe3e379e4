"""What the tests of each approval rule share (docs/approvals.md): a second account of the
same person, the three ways a requester could try to approve their own request (the service,
the page, the API), expiry, and two approvers racing on PostgreSQL."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from approvals import services
from approvals.choices import ApprovalStatus
from approvals.models import Approval, ApprovalTransition
from portal.errors import DomainError
from portal.models import AuditEvent
from tests import factories as f
from tests.api.calls import api_as
from tests.api.spoiled import api_reauth
from tests.helpers import at_once, postgresql_only, reauth_for, sign_in


def twin_of(user, username: str, **fields):
    """A second account of `user`'s person: the same e-mail address (approvals.services.
    same_person). Two Person rows cannot share an ID number (person_national_id_unique), so
    the e-mail is the way two accounts of one person meet in the database."""
    if not user.email:
        user.email = f"{user.get_username()}@thunghiem.gov.vn"
        user.save(update_fields=["email"])
    return f.UserFactory(username=username, email=user.email.upper(), **fields)


def assert_cannot_approve(approval: Approval, user) -> None:
    """`user` (the requester or their second account) can approve `approval` neither through
    the service, nor the page with the password typed again, nor the API: it stays pending."""
    with pytest.raises(DomainError) as refused:
        services.approval_approve(approval=approval, by=user)
    assert refused.value.code == "own_request"

    client = sign_in(Client(), user)
    page = client.post(f"/phe-duyet/{approval.pk}/phe-duyet/", reauth_for(client), follow=True)
    assert page.status_code == 200
    assert "không thể tự phê duyệt" in page.content.decode()

    answer = api_as(user).post(
        f"/api/v1/phe-duyet/{approval.pk}/phe-duyet/", api_reauth(user), format="json"
    )
    assert answer.status_code in (400, 403, 409, 422), answer.json()
    assert answer.json()["code"] == "own_request"

    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.PENDING and approval.decided_by is None


def expire(approval: Approval) -> None:
    """Let the request's time pass and the periodic sweep expire it."""
    Approval.objects.filter(pk=approval.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert services.approvals_expire_due() == 1
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.EXPIRED


def reject(approval: Approval, by) -> None:
    services.approval_reject(approval=approval, by=by, reason="Chưa đủ căn cứ")
    services.approval_run(approval_id=approval.pk)  # a stray delivery: nothing to run
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.REJECTED and approval.ran_at is None


def approve_and_run(approval: Approval, by) -> Approval:
    """Approve, then carry out twice (a second delivery of the task): done once."""
    services.approval_approve(approval=approval, by=by)
    services.approval_run(approval_id=approval.pk)
    services.approval_run(approval_id=approval.pk)
    approval.refresh_from_db()
    assert_ran_once(approval)
    return approval


def assert_ran_once(approval: Approval) -> None:
    assert approval.status == ApprovalStatus.DONE, approval.outcome
    assert ApprovalTransition.objects.filter(approval=approval, action="run").count() == 1
    assert AuditEvent.objects.filter(action="approval.run", object_id=str(approval.pk)).count() == 1


def race_approvals(approval: Approval, approvers) -> list:
    """Every approver approves and then carries the request out, each from its own thread and
    database connection, released together. Returns what each got (the approval, or the
    DomainError of the one who came second)."""
    if connection.vendor != "postgresql":
        postgresql_only("two approvers at the same moment")

    def approve_and_run(i):
        refused = None
        try:
            services.approval_approve(approval=Approval(pk=approval.pk), by=approvers[i])
        except DomainError as exc:
            refused = exc
        services.approval_run(approval_id=approval.pk)  # each carries it out, once between them
        return refused or "approved"

    results = at_once(approve_and_run, len(approvers))
    assert results.count("approved") == 1, results
    assert all(r == "approved" or isinstance(r, DomainError) for r in results), results
    approval.refresh_from_db()
    assert_ran_once(approval)
    return results
