"""The demand documents signed at the signer's desk (demand/services/desk.py; docs/ca.md,
"Signing at the signer's desk"): the agency head's registration takes two rounds (their
signature, then the agency's seal) and is sent after the second; the province's summary takes
the officer's signature, then the Sở KH&CN's seal only when the Sở has one. A refused answer
leaves the registration or the summary as it was and is audited on it."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from certificates.choices import SignedDocumentKind, SigningEventKind, SubjectKind
from certificates.desk.models import DeskSigning, DeskState
from certificates.exceptions import CertificateError
from certificates.models import SigningEvent
from certificates.signing import SEAL_FIELD, SIGNATURE_FIELD, verify_pdf
from demand.choices import RegistrationStatus
from demand.models import DemandDocument, ProvinceSummary
from demand.services import (
    registration_desk_complete,
    registration_desk_prepare,
    registration_save,
    registration_start,
    registration_submit,
    summary_desk_complete,
    summary_desk_prepare,
)
from portal.errors import DomainError
from portal.models import AuditEvent
from tests import factories as f
from tests.certificates.pdf_tools import pdfsig_sections
from tests.demand.world import issue, sign_registration, sign_summary
from tests.desk import answer
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db

VALID = "Signature Validation: Signature is Valid."


@pytest.fixture
def submitted(cast, signers, campaign):
    registration = registration_start(campaign=campaign, agency=cast.agency_a, by=cast.clerk_a)
    registration_submit(registration=registration, by=cast.clerk_a)
    registration.refresh_from_db()
    return registration


def unchanged(registration) -> bool:
    registration.refresh_from_db()
    return (
        registration.status == RegistrationStatus.AWAITING_HEAD
        and registration.sent_at is None
        and not DemandDocument.objects.filter(registration=registration).exists()
    )


def refusals(registration, code: str) -> int:
    return AuditEvent.objects.filter(
        action="demand_registration.desk_refused",
        object_id=str(registration.pk),
        after__code=code,
    ).count()


def complete(registration, by, answer):
    return registration_desk_complete(registration=registration, by=by, answer=answer)


def test_the_head_signs_and_seals_the_registration_and_pdfsig_reports_both_valid(
    cast, ca, submitted, tmp_path
):
    head = registration_desk_prepare(registration=submitted, by=cast.head_a, revision=0)
    assert head.field_name == SIGNATURE_FIELD
    assert head.purpose == f"demand:registration:{submitted.pk}:0:{SIGNATURE_FIELD}"
    first = complete(submitted, cast.head_a, answer=answer(head, cast.head_a))
    assert first.document is None and unchanged(submitted)  # the seal is still to come

    seal = registration_desk_prepare(registration=submitted, by=cast.head_a, revision=0)
    assert seal.field_name == SEAL_FIELD
    assert seal.certificate.subject_organization_id == cast.agency_a.pk
    last = complete(submitted, cast.head_a, answer=answer(seal, cast.head_a))

    submitted.refresh_from_db()
    assert submitted.status == RegistrationStatus.SENT and submitted.sent_by == cast.head_a
    signed = bytes(last.document.content)
    assert last.document.registration_id == submitted.pk
    reports = verify_pdf(signed, agency=cast.agency_a)
    assert [r.field_name for r in reports] == [SIGNATURE_FIELD, SEAL_FIELD]
    assert all(r.ok for r in reports)
    sections = pdfsig_sections(signed, ca, tmp_path)
    assert len(sections) == 2 and all(VALID in section for section in sections)
    assert "Common Name: Trần Thị Ánh Dương" in sections[0]
    assert f"Common Name: {cast.agency_a.name}" in sections[1]
    sign = AuditEvent.objects.get(action="demand_registration.sign")
    assert sign.after["source"] == "desk" and sign.after["sha256"] == last.document.sha256


def test_the_signing_monitor_records_each_certificate_once(cast, submitted):
    sign_registration(submitted, cast.head_a, revision=0)
    events = SigningEvent.objects.filter(document_kind=SignedDocumentKind.DEMAND)
    assert sorted(events.values_list("serial", flat=True)) == sorted(
        DeskSigning.objects.filter(state=DeskState.DONE).values_list(
            "certificate__serial", flat=True
        )
    )
    assert events.count() == 2
    assert set(events.values_list("kind", "document_id", "document_number")) == {
        (SigningEventKind.SIGNED, submitted.pk, f"{submitted.pk}/ĐKNC")
    }


def test_a_foreign_certificate_is_refused_and_the_registration_is_unchanged(cast, submitted):
    desk = registration_desk_prepare(registration=submitted, by=cast.head_a, revision=0)
    other = issue(cast, person=f.PersonFactory(organization=cast.agency_a, full_name="Lê Văn Khác"))

    with pytest.raises(CertificateError) as refused:
        complete(submitted, cast.head_a, answer=answer(desk, cast.head_a, certificate=other))

    assert refused.value.code == "other_certificate"
    desk.refresh_from_db()
    assert desk.state == DeskState.REFUSED
    assert unchanged(submitted) and refusals(submitted, "other_certificate") == 1


def test_a_replayed_answer_is_refused_and_the_registration_is_unchanged(cast, submitted):
    desk = registration_desk_prepare(registration=submitted, by=cast.head_a, revision=0)
    values = answer(desk, cast.head_a)
    complete(submitted, cast.head_a, values)

    with pytest.raises(CertificateError) as refused:
        complete(submitted, cast.head_a, values)

    assert refused.value.code == "used"
    assert unchanged(submitted) and refusals(submitted, "used") == 1


def test_a_table_changed_between_prepare_and_answer_is_not_signed(cast, submitted):
    desk = registration_desk_prepare(registration=submitted, by=cast.head_a, revision=0)
    values = answer(desk, cast.head_a)
    registration_save(registration=submitted, table={}, notes={}, by=cast.head_a, revision=0)

    with pytest.raises(DomainError) as refused:
        complete(submitted, cast.head_a, values)

    assert refused.value.code == "foreign_request"
    submitted.refresh_from_db()
    assert submitted.revision == 1 and not DemandDocument.objects.exists()
    assert refusals(submitted, "foreign_request") == 1
    # The changed table is signed afresh, under its own revision.
    fresh = registration_desk_prepare(registration=submitted, by=cast.head_a, revision=1)
    assert fresh.purpose == f"demand:registration:{submitted.pk}:1:{SIGNATURE_FIELD}"


def test_a_clerk_may_not_sign(cast, submitted):
    with pytest.raises(PermissionDenied):
        registration_desk_prepare(registration=submitted, by=cast.clerk_a, revision=0)
    assert not DeskSigning.objects.exists() and unchanged(submitted)


def test_a_refused_prepare_is_audited_on_the_registration(cast, campaign, submitted):
    with pytest.raises(DomainError, match="vừa được sửa"):
        registration_desk_prepare(registration=submitted, by=cast.head_a, revision=7)
    assert refusals(submitted, "changed") == 1
    assert not DeskSigning.objects.exists() and unchanged(submitted)


def test_the_summary_without_a_seal_is_sent_after_the_officers_signature_alone(
    cast, submitted, campaign
):
    sign_registration(submitted, cast.head_a, revision=0)

    desk = summary_desk_prepare(campaign=campaign, province=cast.province_1, by=cast.officer_1)
    assert desk.field_name == SIGNATURE_FIELD and desk.document_number == "1/BC-SKHCN"
    done = summary_desk_complete(
        campaign=campaign, province=cast.province_1, by=cast.officer_1,
        answer=answer(desk, cast.officer_1),
    )  # fmt: skip

    assert done.document is not None
    summary = ProvinceSummary.objects.get()
    assert done.document.summary == summary and summary.number == "1/BC-SKHCN"
    assert summary.registration_ids == [submitted.pk]
    reports = verify_pdf(bytes(done.document.content))
    assert len(reports) == 1 and reports[0].ok and reports[0].signer_name == "Lò Văn Thắng"
    assert DeskSigning.objects.filter(purpose__startswith="demand:summary:").count() == 1
    events = SigningEvent.objects.filter(document_number="1/BC-SKHCN")
    assert events.count() == 1 and events.get().agency_id == cast.office_1.pk
    assert AuditEvent.objects.filter(action="demand_summary.sign", after__source="desk").exists()


def test_the_summary_is_sealed_when_the_office_has_a_seal(cast, submitted, campaign):
    issue(
        cast, subject_kind=SubjectKind.ORGANIZATION, agency=cast.office_1,
        subject_organization=cast.office_1,
    )  # fmt: skip
    sign_registration(submitted, cast.head_a, revision=0)

    head = summary_desk_prepare(campaign=campaign, province=cast.province_1, by=cast.officer_1)
    first = summary_desk_complete(
        campaign=campaign, province=cast.province_1, by=cast.officer_1,
        answer=answer(head, cast.officer_1),
    )  # fmt: skip
    assert first.document is None and not ProvinceSummary.objects.exists()
    done = sign_summary(campaign, cast.province_1, cast.officer_1)

    reports = verify_pdf(bytes(done.document.content))
    assert [r.field_name for r in reports] == [SIGNATURE_FIELD, SEAL_FIELD]
    assert all(r.ok for r in reports)
    assert ProvinceSummary.objects.get().number == "1/BC-SKHCN"  # drawn once for both rounds


def test_preparing_the_summary_again_keeps_its_number(cast, submitted, campaign):
    sign_registration(submitted, cast.head_a, revision=0)
    first = summary_desk_prepare(campaign=campaign, province=cast.province_1, by=cast.officer_1)
    again = summary_desk_prepare(campaign=campaign, province=cast.province_1, by=cast.officer_1)
    assert first.document_number == again.document_number == "1/BC-SKHCN"


def test_a_refused_summary_answer_sends_nothing_and_is_audited(cast, submitted, campaign):
    sign_registration(submitted, cast.head_a, revision=0)
    desk = summary_desk_prepare(campaign=campaign, province=cast.province_1, by=cast.officer_1)

    with pytest.raises(CertificateError) as refused:
        summary_desk_complete(
            campaign=campaign, province=cast.province_1, by=cast.officer_1,
            answer=answer(desk, cast.officer_1, nonce="x" * 32),
        )  # fmt: skip

    assert refused.value.code == "nonce"
    assert not ProvinceSummary.objects.exists()
    audited = AuditEvent.objects.get(action="demand_summary.desk_refused")
    assert audited.object_id == str(campaign.pk)
    assert audited.after["province"] == cast.province_1.pk


def test_the_registration_page_offers_the_desk_signing_not_a_server_signature(
    client, cast, submitted
):
    sign_in(client, cast.head_a)
    page = client.get(reverse("demand:register", args=[submitted.campaign_id])).content.decode()
    assert "data-desk-signing" in page and "js/desk-signing.js" in page
    prepare = reverse("demand:registration_desk_prepare", args=[submitted.pk, 0])
    assert f'data-prepare-url="{prepare}"' in page
    assert 'value="sign"' not in page
    response = client.post(
        reverse("demand:register", args=[submitted.campaign_id]),
        {"action": "sign", "co_quan": cast.agency_a.pk, "revision": 0},
    )
    assert response.status_code == 302 and unchanged(submitted)  # no such action any more


def test_the_endpoints_prepare_and_refuse_as_json(client, cast, submitted):
    sign_in(client, cast.head_a)
    prepared = client.post(reverse("demand:registration_desk_prepare", args=[submitted.pk, 0]))
    assert prepared.status_code == 201
    assert prepared.json()["step"] == "signature"
    assert prepared.json()["document"]["number"] == f"{submitted.pk}/ĐKNC"
    complete_url = reverse("demand:registration_desk_complete", args=[submitted.pk])
    bad = client.post(complete_url, data="{}", content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"] == "bad_body"
    stale = client.post(reverse("demand:registration_desk_prepare", args=[submitted.pk, 5]))
    assert stale.status_code == 400 and stale.json()["error"] == "changed"


def test_the_campaign_page_offers_the_officer_the_summarys_desk_signing(
    client, cast, submitted, campaign
):
    sign_registration(submitted, cast.head_a, revision=0)
    sign_in(client, cast.officer_1)
    page = client.get(reverse("demand:campaign", args=[campaign.pk])).content.decode()
    prepare = reverse("demand:summary_desk_prepare", args=[campaign.pk, cast.province_1.pk])
    assert f'data-prepare-url="{prepare}"' in page
    assert f'id="ky-tai-may-{cast.province_1.pk}"' in page
