"""A demand campaign from its opening to the province's signed summary (docs/domain.md §11):
the agency's table prefilled from its certificates, saved, submitted, signed by the head and
sent; the province's totals signed by its officer; each step decided on the locked row."""

import subprocess
from datetime import datetime

import pytest
from django.utils import timezone

from certificates.signing import verify_pdf
from demand.choices import Category, RegistrationStatus
from demand.models import DemandDocument, ProvinceSummary, RegistrationItem
from demand.services import (
    registration_desk_prepare,
    registration_save,
    registration_send_back,
    registration_start,
    registration_submit,
    summary_desk_prepare,
)
from portal.errors import DomainError
from portal.models import AuditEvent, Deadline
from tests.demand.world import issue, sign_registration, sign_summary

pytestmark = pytest.mark.django_db


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return " ".join(text.split())  # the lines as wrapped on the page, joined


def table(**values) -> dict:
    """A full table of zeros with the given `<category>_<year>` cells."""
    result = {c.value: dict.fromkeys(range(2027, 2032), 0) for c in Category}
    for key, n in values.items():
        category, year = key.rsplit("_", 1)
        result[category][int(year)] = n
    return result


def test_opening_a_campaign_gives_each_asked_agency_a_deadline(cast, campaign):
    deadlines = Deadline.objects.filter(kind=Deadline.Kind.DEMAND_RESPONSE)
    assert sorted(deadlines.values_list("agency_id", flat=True)) == sorted(
        [cast.agency_a.pk, cast.agency_b.pk]
    )
    assert all(d.due_on == campaign.due_on for d in deadlines)


def test_the_table_is_prefilled_with_the_certificates_expiring_each_year(cast, ca, campaign):
    holder = issue(cast, person=cast.subscriber)
    holder.not_after = timezone.make_aware(datetime(2028, 6, 30))
    holder.save(update_fields=["not_after"])
    registration = registration_start(campaign=campaign, agency=cast.agency_a, by=cast.clerk_a)
    items = {
        (i.category, i.year): i.quantity for i in RegistrationItem.objects.filter(
            registration=registration
        )
    }  # fmt: skip
    assert items[(Category.PERSON_USB, 2028)] == 1
    assert sum(items.values()) == 1
    assert registration.notes[Category.PERSON_USB] == "Hiện có 1 chứng thư số còn hiệu lực"


def test_a_campaign_runs_from_opening_to_the_provinces_signed_summary(
    cast, signers, campaign, tmp_path
):
    registration = registration_start(campaign=campaign, agency=cast.agency_a, by=cast.clerk_a)
    registration = registration_save(
        registration=registration,
        table=table(org_usb_2027=2, person_sim_2029=5, device_service_2031=1),
        notes={Category.PERSON_SIM: "Lãnh đạo ký trên di động"},
        by=cast.clerk_a,
        revision=0,
    )
    registration_submit(registration=registration, by=cast.clerk_a)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.AWAITING_HEAD

    document = sign_registration(registration, cast.head_a, revision=1).document
    sent = document.registration
    assert sent.status == RegistrationStatus.SENT
    reports = verify_pdf(bytes(document.content), agency=cast.agency_a)
    assert len(reports) == 2 and all(r.ok for r in reports)
    text = pdf_text(bytes(document.content), tmp_path)
    assert "V/v đề xuất nhu cầu cấp mới chứng thư số giai đoạn 2027-2031" in text
    assert "Lãnh đạo ký trên di động" in text
    met = Deadline.objects.get(subject=f"demand:{campaign.pk}:{cast.agency_a.pk}")
    assert met.state == Deadline.State.MET
    still_open = Deadline.objects.get(subject=f"demand:{campaign.pk}:{cast.agency_b.pk}")
    assert still_open.closed_at is None

    summary = sign_summary(campaign, cast.province_1, cast.officer_1).document.summary
    assert summary.totals[Category.ORG_USB]["2027"] == 2
    assert summary.totals[Category.PERSON_SIM]["2029"] == 5
    assert sum(sum(per.values()) for per in summary.totals.values()) == 8
    assert summary.registration_ids == [sent.pk]
    assert summary.agencies_asked == 2
    signed = bytes(DemandDocument.objects.get(summary=summary).content)
    reports = verify_pdf(signed)
    assert len(reports) == 1 and reports[0].ok  # the Sở KH&CN has no seal here
    assert reports[0].signer_name == "Lò Văn Thắng"
    text = pdf_text(signed, tmp_path)
    assert "Kính gửi: Ủy ban nhân dân tỉnh Lai Châu." in text
    assert "Số cơ quan đã gửi đăng ký: 1/2 cơ quan." in text
    # Numbered in the office's register as a report (Nghị định 30/2020): "1/BC-SKHCN".
    assert summary.number == "1/BC-SKHCN"
    assert "Số: 1/BC-SKHCN" in text
    assert cast.agency_b.name in text  # named among those that have not answered
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"demand_campaign.open", "demand_registration.sign", "demand_summary.sign"} <= actions


def test_the_summary_is_sent_once(cast, signers, campaign):
    registration = registration_start(campaign=campaign, agency=cast.agency_a, by=cast.clerk_a)
    sign_registration(registration, cast.head_a, revision=0)
    sign_summary(campaign, cast.province_1, cast.officer_1)
    with pytest.raises(DomainError, match="đã gửi báo cáo tổng hợp"):
        summary_desk_prepare(campaign=campaign, province=cast.province_1, by=cast.officer_1)
    assert ProvinceSummary.objects.count() == 1


def test_a_summary_with_no_registration_is_refused(cast, signers, campaign):
    with pytest.raises(DomainError, match="Chưa có cơ quan nào"):
        summary_desk_prepare(campaign=campaign, province=cast.province_1, by=cast.officer_1)
    assert not ProvinceSummary.objects.exists()


def test_a_table_changed_since_it_was_drawn_is_not_signed(cast, signers, campaign):
    registration = registration_start(campaign=campaign, agency=cast.agency_a, by=cast.clerk_a)
    registration_save(
        registration=registration, table=table(), notes={}, by=cast.clerk_a, revision=0
    )
    with pytest.raises(DomainError, match="vừa được sửa"):
        registration_desk_prepare(registration=registration, by=cast.head_a, revision=0)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.DRAFT
    assert not DemandDocument.objects.exists()


def test_a_sent_registration_can_no_longer_be_changed(cast, signers, campaign):
    registration = registration_start(campaign=campaign, agency=cast.agency_a, by=cast.clerk_a)
    sign_registration(registration, cast.head_a, revision=0)
    with pytest.raises(DomainError, match="Đã ký, gửi"):
        registration_save(registration=registration, table=table(org_usb_2027=9), notes={},
                          by=cast.clerk_a, revision=0)  # fmt: skip
    assert not RegistrationItem.objects.filter(quantity=9).exists()


def test_a_negative_quantity_is_refused_and_changes_nothing(cast, campaign):
    registration = registration_start(campaign=campaign, agency=cast.agency_a, by=cast.clerk_a)
    with pytest.raises(DomainError, match="số nguyên từ 0"):
        registration_save(registration=registration, table=table(org_usb_2027=-1), notes={},
                          by=cast.clerk_a, revision=0)  # fmt: skip
    registration.refresh_from_db()
    assert registration.revision == 0


def test_the_head_sends_back_with_a_reason(cast, campaign):
    registration = registration_start(campaign=campaign, agency=cast.agency_a, by=cast.clerk_a)
    registration_submit(registration=registration, by=cast.clerk_a)
    with pytest.raises(DomainError, match="lý do"):
        registration_send_back(registration=registration, by=cast.head_a, reason=" ")
    registration_send_back(registration=registration, by=cast.head_a, reason="Thiếu SIM PKI")
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.DRAFT


def test_a_head_without_a_certificate_is_told_and_nothing_is_sent(cast, campaign):
    registration = registration_start(campaign=campaign, agency=cast.agency_a, by=cast.clerk_a)
    with pytest.raises(DomainError, match="chưa có chứng thư số cá nhân"):
        registration_desk_prepare(registration=registration, by=cast.head_a, revision=0)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.DRAFT


def test_of_two_people_saving_at_once_the_second_is_told_not_lost(cast, campaign):
    registration = registration_start(campaign=campaign, agency=cast.agency_a, by=cast.clerk_a)
    registration_save(registration=registration, table=table(org_usb_2027=3), notes={},
                      by=cast.clerk_a, revision=0)  # fmt: skip
    with pytest.raises(DomainError, match="vừa được sửa"):
        registration_save(registration=registration, table=table(device_service_2031=1),
                          notes={}, by=cast.head_a, revision=0)  # fmt: skip
    kept = RegistrationItem.objects.filter(registration=registration, quantity__gt=0)
    assert [(i.category, i.year, i.quantity) for i in kept] == [(Category.ORG_USB, 2027, 3)]


def test_a_double_click_opens_one_campaign(cast):
    from datetime import timedelta

    from demand.models import Campaign
    from demand.services import campaign_open

    def open_once():
        return campaign_open(
            by=cast.officer_1, province=cast.province_1, start_year=2027, end_year=2031,
            due_on=timezone.localdate() + timedelta(days=9),
        )  # fmt: skip

    open_once()
    with pytest.raises(DomainError, match="đang mở cho giai đoạn này"):
        open_once()
    assert Campaign.objects.count() == 1


def test_the_campaigns_title_is_vietnamese_whoever_opens_it(cast, campaign):
    from django.utils import translation

    from demand.services import campaign_close, campaign_open

    campaign_close(campaign=campaign, by=cast.officer_1)
    with translation.override("en"):
        opened = campaign_open(
            by=cast.officer_1, province=cast.province_1, start_year=2027, end_year=2031,
            due_on=campaign.due_on,
        )  # fmt: skip
    assert opened.title == "Đề xuất nhu cầu cấp mới chứng thư số giai đoạn 2027-2031"


def test_a_closed_campaign_takes_no_signature(cast, signers, campaign):
    from demand.services import campaign_close

    registration = registration_start(campaign=campaign, agency=cast.agency_a, by=cast.clerk_a)
    campaign_close(campaign=campaign, by=cast.officer_1)
    registration.refresh_from_db()
    with pytest.raises(DomainError, match="đã kết thúc"):
        registration_desk_prepare(registration=registration, by=cast.head_a, revision=0)
    assert not DemandDocument.objects.exists()
    assert not Deadline.objects.filter(kind=Deadline.Kind.DEMAND_RESPONSE, closed_at=None).exists()
