"""A merger's new issues (docs/domain.md §6.5): a certificate with fewer than 30 days left
is not changed but issued anew, drafted as a Mẫu 01 (a person) or Mẫu 02 (an organisation)
row of the agency it belongs to after the merger, prefilled from the registry, awaiting the
head's signature and listed in the apply summary."""

from datetime import timedelta

import pytest
from django.utils import timezone

from certificates.choices import SubjectKind
from orgmerge.services import merger_plan_apply, merger_plan_create, merger_plan_run_apply
from requests_app.choices import FormKind, Status
from requests_app.models import CertRequest, RequestRow
from tests import factories as f

pytestmark = pytest.mark.django_db


def _merge_b_into_a(cast, world):
    plan = merger_plan_create(
        sources=[cast.agency_a, cast.agency_b],
        case="b",
        target=cast.agency_a,
        effective_on=world.effective_on,
        by=cast.officer_1,
    )
    merger_plan_apply(plan=plan, by=cast.officer_1)
    return merger_plan_run_apply(plan_id=plan.pk)


def test_a_certificate_with_20_days_left_ends_in_a_drafted_mau_01_row_of_the_target(cast, world):
    application = _merge_b_into_a(cast, world)

    # (B's open Mẫu 01 draft moved to A too: the drafted one awaits the head)
    letter = CertRequest.objects.get(
        agency=cast.agency_a, form=FormKind.ISSUE_PERSON, status=Status.AWAITING_HEAD
    )
    assert letter.status == Status.AWAITING_HEAD
    row = letter.rows.get()
    person = world.person_b
    assert (row.full_name, row.national_id, row.email) == (
        person.full_name,
        person.national_id,
        person.official_email,
    )
    assert row.old_serial == world.cert_b.serial
    assert row.work_agency == cast.agency_a.name  # the person works for the target now
    assert not RequestRow.objects.filter(
        certificate=world.cert_b, cert_request__form=FormKind.RENEW_CHANGE
    ).exists()
    entry = next(e for e in application.summary["letters"] if e["form"] == FormKind.ISSUE_PERSON)
    assert entry == {
        "letter": letter.pk,
        "form": FormKind.ISSUE_PERSON,
        "agency": cast.agency_a.name,
        "rows": 1,
        "left_out": {},
    }


def test_an_organisation_certificate_close_to_expiry_is_drafted_as_a_mau_02(cast, world):
    unit = f.UnitFactory(
        parent=cast.agency_b,
        name="Trung tâm Kiểm soát bệnh tật",
        address="Phường Tân Phong",
        tax_code="6200100123",
        budget_code="1234567",
        official_email="cdc@laichau.gov.vn",
    )
    org_cert = f.CertificateFactory(
        subject_kind=SubjectKind.ORGANIZATION,
        person=None,
        subject_organization=unit,
        agency=cast.agency_b,
        not_after=timezone.now() + timedelta(days=12, hours=1),
    )
    application = _merge_b_into_a(cast, world)

    letter = CertRequest.objects.get(
        agency=cast.agency_a, form=FormKind.ISSUE_ORGANIZATION, status=Status.AWAITING_HEAD
    )
    row = letter.rows.get()
    assert (row.organization_name, row.tax_code, row.budget_code) == (
        unit.name,
        "6200100123",
        "1234567",
    )
    assert not RequestRow.objects.filter(certificate=org_cert).exists()
    forms = {e["form"] for e in application.summary["letters"]}
    assert {FormKind.ISSUE_PERSON, FormKind.ISSUE_ORGANIZATION} <= forms
