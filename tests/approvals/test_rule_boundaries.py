"""The four-eyes rules at their edges (docs/approvals.md, "Rules"): a rule's threshold is "more
than `above`" (one each side), the default count is one object, the national rule decides when
the objects belong to no organisation, and among organisations whose rules wait equally long
the first (by id) names the request's rule."""

import pytest

from approvals.choices import ApprovalAction
from approvals.models import ApprovalRule
from approvals.services.rules import (
    approval_needed,
    approval_needed_in,
    approval_rule_organization,
)

pytestmark = pytest.mark.django_db

BATCH = ApprovalAction.REVOKE_BATCH


@pytest.mark.parametrize(("count", "needed"), [(5, False), (6, True)])
def test_a_rule_asks_for_a_second_person_above_its_threshold(cast, count, needed):
    ApprovalRule.objects.create(action=BATCH, organization=cast.agency_a, above=5)

    assert approval_needed(action=BATCH, organization=cast.agency_a, count=count) is needed
    found = approval_rule_organization(
        action=BATCH, organization_ids=[cast.agency_a.pk], count=count
    )
    assert found == (cast.agency_a if needed else None)


def test_one_object_is_the_default_count(cast):
    ApprovalRule.objects.create(action=BATCH, organization=None, above=1)
    ApprovalRule.objects.create(action=BATCH, organization=cast.agency_a, above=1)

    assert approval_needed(action=BATCH) is False
    assert approval_needed_in(action=BATCH, organization_ids=[cast.agency_a.pk]) is False
    assert approval_rule_organization(action=BATCH, organization_ids=[cast.agency_a.pk]) is None


@pytest.mark.parametrize(("count", "needed"), [(3, False), (4, True)])
def test_objects_of_no_organisation_follow_the_national_rule(cast, count, needed):
    ApprovalRule.objects.create(action=BATCH, organization=None, above=3)

    assert approval_needed_in(action=BATCH, organization_ids=[None], count=count) is needed


def test_among_rules_that_wait_as_long_the_first_organisation_names_the_request(cast):
    first, second = sorted([cast.agency_a, cast.agency_b], key=lambda org: org.pk)
    for organization in (second, first):
        ApprovalRule.objects.create(action=BATCH, organization=organization, expires_hours=24)

    chosen = approval_rule_organization(
        action=BATCH, organization_ids=[second.pk, first.pk], count=60
    )

    assert chosen == first
