"""Who is asked to decide a request (docs/approvals.md, "Who decides"): every active account
holding one of its kind's approver roles there, never its requester under any account, read
in a bounded number of queries whatever the number of candidates
(`approvals.services.approvers`)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.choices import Role
from approvals.choices import ApprovalAction
from approvals.models import Approval
from approvals.services import approval_request, approvers
from tests import factories as f
from tests.approvals.rules import twin_of

pytestmark = pytest.mark.django_db

# The candidates' scopes, their people and identities, and the candidates themselves.
MOST_QUERIES = 5


def _request(cast) -> Approval:
    """A merger plan of province 1 to apply, asked by its officer: decided by another officer
    of province 1 or an administrator (orgmerge/approval_kinds.py)."""
    approval = approval_request(
        action=ApprovalAction.MERGER_APPLY,
        object_key="merger_plan:987654",
        object_label="Phương án sáp nhập thử",
        organization=cast.province_1,
        by=cast.officer_1,
        reason="Theo nghị quyết của tỉnh",
    )
    return Approval.objects.select_related("organization", "requested_by").get(pk=approval.pk)


def _member(username, role, organization=None, **fields):
    user = f.UserFactory(username=username, **fields)
    f.MembershipFactory(user=user, role=role, organization=organization)
    f.PersonFactory(user=user, **({"organization": organization} if organization else {}))
    return user


def _names(users) -> set[str]:
    return {user.username for user in users}


def test_the_approvers_hold_the_kinds_role_there_and_are_never_the_requester(cast):
    _member("officer_1b", Role.PROVINCIAL_OFFICER, cast.office_1)
    _member("role_admin", Role.ADMINISTRATOR)
    _member("gone_admin", Role.ADMINISTRATOR, is_active=False)
    twin = twin_of(cast.officer_1, "officer_1_twin")
    f.MembershipFactory(user=twin, role=Role.PROVINCIAL_OFFICER, organization=cast.office_1)

    found = approvers(_request(cast))

    # not officer_2 (another province), the clerks, the CA operator, the requester, their
    # second account, nor a closed account
    assert _names(found) == {"officer_1b", "role_admin", "admin"}


def test_the_approvers_cost_the_same_few_queries_for_three_or_sixty_candidates(
    cast, django_assert_max_num_queries
):
    approval = _request(cast)
    with CaptureQueriesContext(connection) as few:
        assert _names(approvers(approval)) == {"admin"}
    for n in range(20):
        _member(f"officer_1_{n}", Role.PROVINCIAL_OFFICER, cast.office_1)
        _member(f"officer_2_{n}", Role.PROVINCIAL_OFFICER, cast.office_2)
        if n % 2:
            _member(f"admin_{n}", Role.ADMINISTRATOR)
        else:
            f.PersonFactory(user=f.UserFactory(username=f"admin_{n}", is_superuser=True))
    approval = Approval.objects.select_related("organization", "requested_by").get(pk=approval.pk)

    with django_assert_max_num_queries(min(len(few.captured_queries), MOST_QUERIES)):
        found = approvers(approval)

    assert len(found) == 1 + 20 + 20  # the cast's administrator, province 1's, the new ones
    outsiders = {"officer_1", "officer_2"} | {f"officer_2_{n}" for n in range(20)}
    assert not _names(found) & outsiders
