"""Creating, re-planning and discarding merger plans (orgmerge.services.plans)."""

import pytest
from django.core.exceptions import PermissionDenied

from orgmerge.choices import ActionKind, PlanStatus
from orgmerge.models import MergerPlan
from orgmerge.services import merger_plan_create, merger_plan_discard, merger_plan_replan
from portal.errors import DomainError
from portal.models import AuditEvent
from tests import factories as f

pytestmark = pytest.mark.django_db


def _actions(plan):
    return {a.certificate_id or a.device_id or a.letter_id: a.kind for a in plan.actions.all()}


def _new_name(cast, world, **kw):
    return merger_plan_create(
        sources=[cast.agency_a, cast.agency_b],
        case="a",
        target_name="Sở Tài chính và Y tế tỉnh Lai Châu",
        effective_on=world.effective_on,
        by=kw.pop("by", cast.officer_1),
        **kw,
    )


def test_case_a_changes_one_organisation_certificate_and_revokes_the_other(cast, world):
    plan = _new_name(cast, world)
    kinds = {a.certificate_id: a.kind for a in plan.actions.exclude(certificate=None)}
    assert kinds[world.org_cert_a.pk] == ActionKind.CHANGE_INFO  # the most days left
    assert kinds[world.org_cert_b.pk] == ActionKind.REVOKE
    assert kinds[world.cert_a.pk] == ActionKind.CHANGE_INFO
    assert kinds[world.cert_unit.pk] == ActionKind.CHANGE_INFO
    assert kinds[world.cert_b.pk] == ActionKind.NEW_ISSUE  # 20 days left
    assert world.cert_c.pk not in kinds
    assert plan.actions.filter(kind=ActionKind.MOVE_LETTER, letter=world.letter_b).exists()
    assert plan.province_id == cast.province_1.pk
    assert AuditEvent.objects.filter(action="merger_plan.create").count() == 1


def test_case_b_keeps_the_survivors_certificate_and_revokes_the_others(cast, world):
    plan = merger_plan_create(
        sources=[cast.agency_a, cast.agency_b],
        case="b",
        target=cast.agency_a,
        effective_on=world.effective_on,
        by=cast.officer_1,
    )
    kinds = {a.certificate_id: a.kind for a in plan.actions.exclude(certificate=None)}
    assert kinds[world.org_cert_a.pk] == ActionKind.KEEP
    assert kinds[world.org_cert_b.pk] == ActionKind.REVOKE
    assert kinds[world.cert_a.pk] == ActionKind.KEEP  # the survivor's people: nothing changes
    assert kinds[world.cert_b_leaving.pk] == ActionKind.CHANGE_INFO


def test_case_c_changes_the_information_of_every_certificate_below(cast, world):
    plan = merger_plan_create(
        sources=[cast.unit_a],
        case="c",
        target=cast.agency_b,
        effective_on=world.effective_on,
        by=cast.officer_1,
    )
    assert _actions(plan) == {world.cert_unit.pk: ActionKind.CHANGE_INFO}


def test_a_change_needs_30_days_left_one_day_less_is_planned_as_a_new_issue(cast, world):
    """docs/domain.md §6.5: a change of information for a certificate with fewer than
    PORTAL_CHANGE_MIN_DAYS_LEFT (30) days left is proposed as a new issue instead."""
    left = {n: f.certificate_valid_for(cast, agency=cast.unit_a, days_left=n) for n in (29, 30, 31)}

    plan = merger_plan_create(
        sources=[cast.unit_a],
        case="c",
        target=cast.agency_b,
        effective_on=world.effective_on,
        by=cast.officer_1,
    )

    kinds = _actions(plan)
    assert {n: kinds[c.pk] for n, c in left.items()} == {
        29: ActionKind.NEW_ISSUE,
        30: ActionKind.CHANGE_INFO,
        31: ActionKind.CHANGE_INFO,
    }


def test_replan_revokes_the_leaving_persons_certificate_and_returns_their_token(cast, world):
    plan = _new_name(cast, world)
    merger_plan_replan(
        plan=plan,
        by=cast.officer_1,
        kept_certificate_id=world.org_cert_b.pk,
        leaving_person_ids=[world.person_b_leaving.pk],
    )
    kinds = {a.certificate_id: a.kind for a in plan.actions.exclude(certificate=None)}
    assert kinds[world.org_cert_b.pk] == ActionKind.CHANGE_INFO
    assert kinds[world.org_cert_a.pk] == ActionKind.REVOKE
    assert kinds[world.cert_b_leaving.pk] == ActionKind.REVOKE
    assert plan.actions.filter(kind=ActionKind.RETURN_DEVICE, device=world.token).exists()


def test_an_organisation_is_in_one_open_plan_at_a_time(cast, world):
    _new_name(cast, world)
    with pytest.raises(DomainError, match="phương án sáp nhập khác"):
        _new_name(cast, world)
    assert MergerPlan.objects.count() == 1


def test_a_discarded_plan_frees_its_organisations(cast, world):
    plan = _new_name(cast, world)
    merger_plan_discard(plan=plan, by=cast.officer_1)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DISCARDED
    assert _new_name(cast, world).pk != plan.pk


def test_a_discarded_plan_cannot_be_replanned(cast, world):
    plan = _new_name(cast, world)
    merger_plan_discard(plan=plan, by=cast.officer_1)
    with pytest.raises(DomainError, match="Đã hủy"):
        merger_plan_replan(plan=plan, by=cast.officer_1)


def test_an_officer_of_another_province_may_not_plan_here(cast, world):
    with pytest.raises(DomainError, match="không được lập phương án"):
        _new_name(cast, world, by=cast.officer_2)
    assert not MergerPlan.objects.exists()


@pytest.mark.parametrize("persona", ["clerk_a", "head_a", "ca_operator", "subscriber_user"])
def test_only_officers_and_administrators_plan(cast, world, persona):
    with pytest.raises(PermissionDenied):
        _new_name(cast, world, by=getattr(cast, persona))


def test_an_administrator_plans_anywhere(cast, world):
    assert _new_name(cast, world, by=cast.admin).status == PlanStatus.DRAFT


def test_case_b_needs_the_survivor_among_the_sources(cast, world):
    with pytest.raises(DomainError, match="giữ nguyên tên"):
        merger_plan_create(
            sources=[cast.agency_a, cast.agency_b],
            case="b",
            target=cast.agency_c,
            effective_on=world.effective_on,
            by=cast.officer_1,
        )


def test_a_merger_needs_two_organisations(cast, world):
    with pytest.raises(DomainError, match="ít nhất hai"):
        merger_plan_create(
            sources=[cast.agency_a],
            case="a",
            target_name="X",
            effective_on=world.effective_on,
            by=cast.officer_1,
        )


def test_only_a_sources_own_certificate_can_be_the_kept_one(cast, world):
    plan = _new_name(cast, world)
    with pytest.raises(DomainError, match="không thuộc phương án"):
        merger_plan_replan(plan=plan, by=cast.officer_1, kept_certificate_id=world.cert_a.pk)
    plan.refresh_from_db()
    assert plan.kept_certificate_id is None
