"""Applying a merger plan (orgmerge.services.apply), in the test's transaction: the
organisation tree, people, devices, certificates and letters after it, and the drafted
letters awaiting the head."""

import pytest

from agencies.models import Membership, Organization
from orgmerge.choices import PlanStatus
from orgmerge.models import MergerApplication
from orgmerge.services import (
    merger_plan_apply,
    merger_plan_create,
    merger_plan_replan,
    merger_plan_run_apply,
)
from portal.errors import DomainError
from requests_app.choices import FormKind, Status
from requests_app.models import CertRequest

pytestmark = pytest.mark.django_db

NEW_NAME = "Sở Tài chính và Y tế tỉnh Lai Châu"


def _applied(plan, by):
    merger_plan_apply(plan=plan, by=by)
    return merger_plan_run_apply(plan_id=plan.pk)


@pytest.fixture
def merged_a(cast, world):
    plan = merger_plan_create(
        sources=[cast.agency_a, cast.agency_b],
        case="a",
        target_name=NEW_NAME,
        effective_on=world.effective_on,
        by=cast.officer_1,
    )
    merger_plan_replan(plan=plan, by=cast.officer_1, leaving_person_ids=[world.person_b_leaving.pk])
    return plan, _applied(plan, cast.officer_1)


def test_case_a_creates_the_new_organisation_and_supersedes_the_old_ones(cast, world, merged_a):
    plan, application = merged_a
    target = Organization.objects.get(name=NEW_NAME)
    assert application.target == target
    assert target.parent == cast.province_1 and target.valid_from == world.effective_on
    for old in (cast.agency_a, cast.agency_b):
        old.refresh_from_db()
        assert old.superseded_by == target and old.valid_to == world.effective_on
    cast.unit_a.refresh_from_db()
    assert cast.unit_a.parent == target and cast.unit_a.path.startswith(target.path)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPLIED and plan.target == target


def test_case_a_moves_people_devices_certificates_roles_and_open_letters(cast, world, merged_a):
    _plan, application = merged_a
    target = application.target
    world.person_b.refresh_from_db()
    world.token.refresh_from_db()
    world.cert_b.refresh_from_db()
    world.letter_b.refresh_from_db()
    assert world.person_b.organization == target
    assert world.token.agency == target
    assert world.cert_b.agency == target
    assert world.letter_b.agency == target
    assert Membership.objects.filter(user=cast.clerk_b, organization=target).exists()
    world.cert_c.refresh_from_db()
    assert world.cert_c.agency == cast.agency_c  # another province: untouched


def test_case_a_drafts_a_mau_04_and_a_mau_05_awaiting_the_head(cast, world, merged_a):
    _plan, application = merged_a
    target = application.target
    letters = CertRequest.objects.filter(agency=target, status=Status.AWAITING_HEAD)
    change = letters.get(form=FormKind.RENEW_CHANGE)
    revoke = letters.get(form=FormKind.REVOKE)
    change_rows = {r.certificate_id: r for r in change.rows.all()}
    assert change_rows[world.org_cert_a.pk].new_value == NEW_NAME
    assert change_rows[world.org_cert_a.pk].change_field == "common_name"
    assert change_rows[world.cert_unit.pk].new_value == cast.unit_a.name
    assert world.cert_b.pk not in change_rows  # 20 days left: a new issue, not a change
    revoke_rows = {r.certificate_id: r.revoke_reason for r in revoke.rows.all()}
    assert revoke_rows == {
        world.org_cert_b.pk: "merged",
        world.cert_b_leaving.pk: "position_changed",
    }
    kinds = {(entry["form"], entry["rows"]) for entry in application.summary["letters"]}
    assert kinds == {("04", 3), ("05", 2), ("01", 1)}  # 01: cert_b's new issue
    assert change.created_by == cast.officer_1


def test_applying_twice_does_nothing_the_second_time(cast, world, merged_a):
    plan, application = merged_a
    letters = CertRequest.objects.count()
    assert merger_plan_run_apply(plan_id=plan.pk) == application
    assert CertRequest.objects.count() == letters
    assert MergerApplication.objects.count() == 1
    assert Organization.objects.filter(name=NEW_NAME).count() == 1
    with pytest.raises(DomainError):
        merger_plan_apply(plan=plan, by=cast.officer_1)


def test_case_b_supersedes_the_other_agency_by_the_survivor(cast, world):
    plan = merger_plan_create(
        sources=[cast.agency_a, cast.agency_b],
        case="b",
        target=cast.agency_a,
        effective_on=world.effective_on,
        by=cast.officer_1,
    )
    application = _applied(plan, cast.officer_1)
    assert application.target == cast.agency_a
    cast.agency_b.refresh_from_db()
    assert cast.agency_b.superseded_by == cast.agency_a
    cast.agency_a.refresh_from_db()
    assert cast.agency_a.is_active
    revoke = CertRequest.objects.get(agency=cast.agency_a, form=FormKind.REVOKE)
    assert list(revoke.rows.values_list("certificate_id", flat=True)) == [world.org_cert_b.pk]
    change = CertRequest.objects.get(agency=cast.agency_a, form=FormKind.RENEW_CHANGE)
    assert {r.certificate_id: r.new_value for r in change.rows.all()} == {
        world.cert_b_leaving.pk: cast.agency_a.name
    }


def test_case_c_moves_the_unit_under_its_new_agency_and_drafts_its_change(cast, world):
    plan = merger_plan_create(
        sources=[cast.unit_a],
        case="c",
        target=cast.agency_b,
        effective_on=world.effective_on,
        by=cast.officer_1,
    )
    _applied(plan, cast.officer_1)
    cast.unit_a.refresh_from_db()
    assert cast.unit_a.parent == cast.agency_b and cast.unit_a.is_active
    world.cert_unit.refresh_from_db()
    assert world.cert_unit.agency == cast.agency_b
    change = CertRequest.objects.get(agency=cast.agency_b, form=FormKind.RENEW_CHANGE)
    assert [(r.certificate_id, r.new_value) for r in change.rows.all()] == [
        (world.cert_unit.pk, cast.unit_a.name)
    ]


def _merge_with_units(cast, agencies, n_units, name):
    """`agencies` merged into `name`, each with `n_units` more units (each with a sub-unit,
    a certificate there and a clerk); the application and the number of its queries."""
    from datetime import date

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests import factories as f

    for agency in agencies:
        for i in range(n_units):
            unit = f.UnitFactory(parent=agency, name=f"Phòng {agency.pk}-{i}")
            sub = f.UnitFactory(parent=unit, name=f"Tổ {agency.pk}-{i}")
            f.certificate_valid_for(cast, agency, 300, person=f.PersonFactory(organization=sub))
            f.MembershipFactory(organization=agency)
    plan = merger_plan_create(
        sources=agencies, case="a", target_name=name, effective_on=date.today(), by=cast.officer_1
    )
    merger_plan_apply(plan=plan, by=cast.officer_1)
    with CaptureQueriesContext(connection) as queries:
        application = merger_plan_run_apply(plan_id=plan.pk)
    return application, len(queries)


def test_units_at_any_depth_and_clerks_move_with_their_agencies(cast):
    from tests import factories as f

    # clerk A is also a clerk of B: after the merger, one membership of the target
    f.MembershipFactory(user=cast.clerk_a, organization=cast.agency_b)
    application, _n = _merge_with_units(cast, [cast.agency_a, cast.agency_b], 3, NEW_NAME)
    target = application.target
    subtree = Organization.objects.filter(path__startswith=target.path).exclude(pk=target.pk)
    # unit A of the cast, then three units and three sub-units of each agency
    assert subtree.count() == 1 + 2 * 3 * 2
    for org in subtree:
        assert org.path == f"{org.parent.path}{org.pk}/"
        assert org.province_id == target.province_id
    assert application.summary["moved"]["organizations"] == 1 + 2 * 3
    assert Membership.objects.filter(organization=target, user=cast.clerk_a).count() == 1
    assert not Membership.objects.filter(organization__in=[cast.agency_a, cast.agency_b]).exists()
    assert application.summary["actions"]["change_info"] >= 2 * 3


def test_applying_runs_as_many_queries_for_four_units_per_agency_as_for_one(cast):
    from tests import factories as f

    small = [f.AgencyFactory(parent=cast.province_1) for _ in range(2)]
    large = [f.AgencyFactory(parent=cast.province_1) for _ in range(2)]
    _a, with_one = _merge_with_units(cast, small, 1, "Cơ quan hợp nhất một")
    _b, with_four = _merge_with_units(cast, large, 4, "Cơ quan hợp nhất hai")
    assert with_one == with_four
