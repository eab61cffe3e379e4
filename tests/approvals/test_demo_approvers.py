"""The demo lets every four-eyes request it can make be decided (README "Demo accounts",
docs/approvals.md "Who decides"): a second CA operator for what `cuc.cts` asks, a second
administrator for what `quantri` asks, each and only the roles the kind names."""

import pytest
from django.contrib.auth import get_user_model

from agencies.demo import load_demo
from approvals.choices import ApprovalAction
from approvals.models import Approval
from approvals.services import approvers

pytestmark = pytest.mark.django_db


def _asked(action, object_key, requester):
    requested_by = get_user_model().objects.get(username=requester)
    approval = Approval(action=action, object_key=object_key, requested_by=requested_by)
    return {user.get_username() for user in approvers(approval)}


@pytest.mark.parametrize(
    ("action", "object_key", "requester", "deciders"),
    [
        (ApprovalAction.REVOKE_ORGANIZATION, "bulk_job:1", "cuc.cts", {"cuc.cts.2"}),
        (ApprovalAction.REVOKE_BATCH, "bulk_job:1", "cuc.cts.2", {"cuc.cts"}),
        (ApprovalAction.REVOKE_ORGANIZATION, "registered_revocation:1", "cuc.cts", {"cuc.cts.2"}),
        (ApprovalAction.ROLE_GRANT, "membership:1:ca_operator:-", "quantri", {"quantri.2"}),
        (ApprovalAction.TWO_FACTOR_RESET, "user:1", "quantri", {"quantri.2"}),
        (ApprovalAction.RULE_CHANGE, "approval_rule:authority.rotate:-", "quantri.2", {"quantri"}),
        (
            ApprovalAction.CA_ROTATE,
            "authority:rotate",
            "cuc.cts",
            {"cuc.cts.2", "quantri", "quantri.2"},
        ),
    ],
)
def test_in_the_demo_someone_else_may_decide_each_request(action, object_key, requester, deciders):
    load_demo()
    assert _asked(action, object_key, requester) == deciders
