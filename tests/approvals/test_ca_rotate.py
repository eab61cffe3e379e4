"""Rotating the issuing CA waits for a second person (docs/approvals.md): `ca_init --rotate`
alone is refused; `--request --by --reason` records the request; a CA operator or an
administrator other than the requester approves it; the ceremony then runs once, as the
requester."""

import pytest
from django.core.management import CommandError, call_command

from approvals.choices import ApprovalAction
from approvals.models import Approval
from certificates.models import CertificateAuthority
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

REASON = "Khóa CA phát hành đến hạn thay theo quy chế"


def _issuing():
    return list(
        CertificateAuthority.objects.filter(kind="issuing", is_active=True).values_list(
            "pk", flat=True
        )
    )


def _request(username="ca_operator"):
    call_command("ca_init", "--rotate", "--request", "--by", username, "--reason", REASON)
    return Approval.objects.get(action=ApprovalAction.CA_ROTATE, status="pending")


@pytest.fixture
def requested(cast, ca):
    return _request()


def test_rotate_without_a_request_is_refused_and_changes_nothing(cast, ca):
    before = _issuing()
    with pytest.raises(CommandError, match="cần người thứ hai phê duyệt"):
        call_command("ca_init", "--rotate")
    assert _issuing() == before


def test_the_first_ceremony_needs_no_approval(db):
    call_command("ca_init")
    assert len(_issuing()) == 1


def test_a_request_needs_a_known_account_and_a_reason(cast, ca):
    with pytest.raises(CommandError, match="Không có tài khoản"):
        call_command("ca_init", "--rotate", "--request", "--by", "nobody", "--reason", REASON)
    with pytest.raises(CommandError, match="lý do"):
        call_command("ca_init", "--rotate", "--request", "--by", "ca_operator")
    assert not Approval.objects.exists()


def test_the_command_records_the_request(cast, ca, requested):
    assert (requested.object_key, requested.requested_by) == ("authority:rotate", cast.ca_operator)
    assert requested.reason == REASON
    with pytest.raises(CommandError, match="đang mở"):
        _request("admin")


def test_the_requester_cannot_approve_it_anywhere_nor_under_a_second_account(cast, ca, requested):
    before = _issuing()
    assert_cannot_approve(requested, cast.ca_operator)
    twin = twin_of(cast.ca_operator, "ca_operator_twin")
    f.MembershipFactory(user=twin, role="ca_operator", organization=cast.ca_org)
    assert_cannot_approve(requested, twin)
    assert _issuing() == before


def test_a_rejected_or_expired_request_rotates_nothing(cast, ca, requested):
    before = _issuing()
    reject(requested, cast.admin)
    expire(_request())
    assert _issuing() == before
    assert not AuditEvent.objects.filter(action="ca.retire").exists()


def test_an_approved_request_rotates_once_as_the_requester(cast, ca, requested):
    (before,) = _issuing()
    approval = approve_and_run(requested, cast.admin)
    (after,) = _issuing()
    assert after != before
    (retired,) = AuditEvent.objects.filter(action="ca.retire")
    assert retired.actor_id == cast.ca_operator.pk
    assert "Đã thay khóa CA phát hành" in approval.outcome


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_once_rotate_once(cast):
    call_command("ca_init")
    approval = _request()
    operator_2 = f.UserFactory(username="ca_operator_2")
    f.MembershipFactory(user=operator_2, role="ca_operator", organization=cast.ca_org)
    race_approvals(approval, [operator_2, cast.admin])
    assert CertificateAuthority.objects.filter(kind="issuing").count() == 2
    assert AuditEvent.objects.filter(action="ca.retire").count() == 1
