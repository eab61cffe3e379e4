"""Two provinces into one (docs/domain.md §6.4): the surviving province's Sở KH&CN takes over
the absorbed province's agencies, officers and inbox; the old province and its office stay as
history; the absorbed province's certificates have their information (locality) changed."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from agencies.models import Membership
from orgmerge.choices import ActionKind
from orgmerge.services import merger_plan_apply, merger_plan_create, merger_plan_run_apply
from portal.errors import DomainError
from requests_app.choices import FormKind, Status
from requests_app.models import CertRequest
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


def _merge(cast, world, by=None):
    return merger_plan_create(
        sources=[cast.province_1, cast.province_2],
        case="p",
        target=cast.province_1,
        effective_on=world.effective_on,
        by=by or cast.admin,
    )


def _fresh(user):
    return get_user_model().objects.get(pk=user.pk)  # no cached scope


def test_the_plan_keeps_the_survivors_certificates_and_changes_the_others(cast, world):
    plan = _merge(cast, world)
    kinds = {a.certificate_id: a.kind for a in plan.actions.exclude(certificate=None)}
    assert kinds[world.cert_c.pk] == ActionKind.CHANGE_INFO
    assert kinds[world.cert_a.pk] == kinds[world.org_cert_a.pk] == ActionKind.KEEP
    assert not plan.actions.filter(kind=ActionKind.MOVE_LETTER).exists()
    assert plan.province is None  # a province-level plan: administrators only


def test_only_an_administrator_plans_a_province_merger(cast, world):
    with pytest.raises(DomainError):
        _merge(cast, world, by=cast.officer_1)


def test_a_province_merger_needs_provinces_only(cast, world):
    with pytest.raises(DomainError, match="chỉ gồm các tỉnh"):
        merger_plan_create(
            sources=[cast.province_1, cast.agency_c],
            case="p",
            target=cast.province_1,
            effective_on=world.effective_on,
            by=cast.admin,
        )


def test_the_absorbed_provinces_letters_reach_the_survivors_inbox(cast, world, client):
    from requests_app import services as letters
    from tests import factories as f

    letter_c = letters.cert_request_create(
        agency=cast.agency_c, form="01", by=cast.clerk_c, **f.LETTER_CONTACT
    )
    CertRequest.objects.filter(pk=letter_c.pk).update(
        status=Status.PROVINCE_REVIEW, number="1/SXD-CKS", issued_on=world.effective_on
    )
    plan = _merge(cast, world)
    merger_plan_apply(plan=plan, by=cast.admin)
    merger_plan_run_apply(plan_id=plan.pk)

    for org in (cast.agency_c, cast.province_2, cast.office_2):
        org.refresh_from_db()
    assert cast.agency_c.parent == cast.province_1 and cast.agency_c.province == cast.province_1
    assert cast.province_2.superseded_by == cast.province_1 and cast.province_2.valid_to
    assert cast.office_2.superseded_by == cast.office_1
    assert Membership.objects.filter(user=cast.officer_2, organization=cast.office_1).exists()

    officer_1 = _fresh(cast.officer_1)
    assert CertRequest.objects.visible_to(officer_1).filter(pk=letter_c.pk).exists()
    sign_in(client, officer_1)
    inbox = client.get(reverse("requests_app:province_inbox"))
    assert f"/van-ban/{letter_c.pk}/" in inbox.content.decode()

    change = CertRequest.objects.get(agency=cast.agency_c, form=FormKind.RENEW_CHANGE)
    assert change.status == Status.AWAITING_HEAD
    assert list(change.rows.values_list("certificate_id", flat=True)) == [world.cert_c.pk]
    # the survivor's own certificates are untouched
    assert not CertRequest.objects.filter(agency=cast.agency_a, form=FormKind.RENEW_CHANGE).exists()


def test_a_change_of_information_after_the_merger_names_the_surviving_province(cast, world, ca):
    from certificates.choices import SubjectKind
    from certificates.models import Certificate
    from certificates.services import certificate_change_info, certificate_issue
    from certificates.subjects import locality_of
    from tests import factories as f

    person = f.PersonFactory(organization=cast.agency_c)
    old = certificate_issue(
        subject_kind=SubjectKind.PERSON, agency=cast.agency_c, person=person, by=cast.ca_operator
    )
    before = old.locality
    assert before == locality_of(cast.province_2)
    plan = _merge(cast, world)
    merger_plan_apply(plan=plan, by=cast.admin)
    merger_plan_run_apply(plan_id=plan.pk)

    # The surviving province's officer now processes the absorbed agency's change of info.
    new = certificate_change_info(
        certificate=Certificate.objects.get(pk=old.pk), by=_fresh(cast.officer_1)
    )

    assert new.locality == locality_of(cast.province_1) != before
    old.refresh_from_db()
    assert old.locality == before  # the old certificate keeps the old name, as history
