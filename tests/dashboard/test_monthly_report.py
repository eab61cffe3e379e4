"""The province's monthly report to its People's Committee: the month's totals against seeded
data and within `visible_to`, who may open, preview, sign and download it, the report signed
at the officer's desk (tests/desk.py stands in for the signing client and the token) and read
back (pdftotext, the portal's verifier and poppler's pdfsig), refused answers that store
nothing, the number kept across attempts, signed once only, and what the list page costs."""

import base64
import json
import re
import subprocess
from datetime import datetime, timedelta
from functools import partial

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from certificates.choices import CertEventKind, SignedDocumentKind, SigningEventKind
from certificates.desk.models import DeskSigning, DeskState
from certificates.models import Certificate, CertificateEvent, SigningEvent
from certificates.signing import verify_pdf
from dashboard import services
from dashboard.choices import ReportState
from dashboard.forms import ReportMonthForm
from dashboard.models import MonthlyReport, MonthlyReportDocument
from dashboard.months import Month
from dashboard.reports import month_counts
from portal.documents import DocumentKind
from portal.errors import DomainError
from portal.models import AuditEvent, Deadline
from requests_app.choices import FormKind, Status
from requests_app.models import CertRequest, Transition
from tests import factories as f
from tests.certificates.pdf_tools import pdfsig
from tests.desk import answer, sign_at_desk
from tests.helpers import LOGIN, PERSONAS, sign_in

pytestmark = pytest.mark.django_db
LIST = "/thong-ke/bao-cao-thang/"
PREVIEW = LIST + "xem-truoc/"
SIGN = LIST + "ky/"
VALID = "Signature Validation: Signature is Valid."


@pytest.fixture
def month():
    return Month.previous(timezone.localdate())


def at(month: Month, day: int) -> datetime:
    return timezone.make_aware(datetime(month.year, month.month, day, 10))


def cert(agency, **fields):
    return f.CertificateFactory(person=f.PersonFactory(organization=agency), **fields)


def letter_received(cast, agency, when, *, handled_at=None):
    """A letter the Sở KH&CN received at `when` (and forwarded at `handled_at`)."""
    letter = CertRequest.objects.create(
        agency=agency,
        form=FormKind.ISSUE_PERSON,
        status=Status.PROVINCE_REVIEW,
        issued_on=when.date(),
        number="1/STC-CKS",
        created_by=cast.clerk_a,
    )
    step = Transition.objects.create(
        cert_request=letter, from_status=Status.ISSUED, to_status=Status.PROVINCE_REVIEW
    )
    Transition.objects.filter(pk=step.pk).update(at=when)
    if handled_at is not None:
        step = Transition.objects.create(
            cert_request=letter, from_status=Status.PROVINCE_REVIEW, to_status=Status.FORWARDED
        )
        Transition.objects.filter(pk=step.pk).update(at=handled_at)
    return letter


def deadline(n, agency, due, closed=None, opened=None):
    return Deadline.objects.create(
        kind=Deadline.Kind.PROVINCE_REVIEW,
        subject=f"letter:{n}",
        due_on=due,
        actor=Deadline.Actor.PROVINCE,
        agency_id=agency.pk,
        closed_at=closed,
        opened_at=opened or timezone.now() - timedelta(days=90),
    )


@pytest.fixture
def seeded(cast, month):
    """In the report's month, in Lai Châu (agencies A and B): 2 issued, 1 renewed, 1 revoked;
    2 letters received, 1 of them forwarded; deadlines: 1 met in time, 1 late, 1 overdue at the
    month's end. Outside it: an issue the month before and this month, an issue in Đà Nẵng, a
    letter received the month before, a deadline met the month after."""
    a1, a2, b1, c1 = (
        cert(cast.agency_a),
        cert(cast.agency_a),
        cert(cast.agency_b),
        cert(cast.agency_c),
    )
    before = at(month, 1) - timedelta(days=3)
    for certificate, kind, when in (
        (a1, CertEventKind.ISSUED, at(month, 3)),
        (b1, CertEventKind.ISSUED, at(month, 28)),
        (a2, CertEventKind.RENEWED, at(month, 15)),
        (a2, CertEventKind.REVOKED, at(month, 20)),
        (a1, CertEventKind.ISSUED, before),
        (b1, CertEventKind.ISSUED, timezone.now()),
        (c1, CertEventKind.ISSUED, at(month, 10)),
    ):
        CertificateEvent.objects.create(certificate=certificate, kind=kind, at=when)
    letter_received(cast, cast.agency_a, at(month, 5), handled_at=at(month, 7))
    letter_received(cast, cast.agency_b, at(month, 25))
    letter_received(cast, cast.agency_a, before)
    letter_received(cast, cast.agency_c, at(month, 5), handled_at=at(month, 6))
    deadline(1, cast.agency_a, month.first_day + timedelta(days=9), closed=at(month, 8))
    deadline(2, cast.agency_b, month.first_day + timedelta(days=3), closed=at(month, 12))
    deadline(3, cast.agency_a, month.first_day + timedelta(days=19))
    deadline(4, cast.agency_a, month.last_day, closed=at(month, 1) + timedelta(days=40))
    deadline(5, cast.agency_c, month.first_day + timedelta(days=3))
    return cast


def test_the_months_totals_match_the_seeded_data(seeded, month):
    counts = month_counts(seeded.officer_1, seeded.province_1, month)

    assert (counts.issued, counts.renewed, counts.changed, counts.revoked) == (2, 1, 0, 1)
    assert (counts.letters_received, counts.letters_handled) == (2, 1)
    # Deadline 4, due on the month's last day and met after it, was overdue at its end.
    assert (counts.deadlines_in_time, counts.deadlines_late, counts.deadlines_overdue) == (1, 1, 2)
    assert counts.in_time_rate == "50,0 %"


def test_the_totals_stay_within_the_users_scope(seeded, month):
    # Another province's officer counts nothing of Lai Châu, even when asked for it.
    other = month_counts(seeded.officer_2, seeded.province_1, month)
    assert (other.issued, other.letters_received, other.deadlines_overdue) == (0, 0, 0)
    # The CA reads Đà Nẵng's month alone (letters: those the CA received, none here).
    ca = month_counts(seeded.ca_operator, seeded.province_2, month)
    assert (ca.issued, ca.revoked, ca.deadlines_overdue) == (1, 0, 1)


@pytest.mark.parametrize("persona", PERSONAS + ("admin",))
def test_who_may_open_the_reports_page(cast, client, persona):
    expected = {
        "anonymous": LOGIN,
        "officer_1": 200,
        "officer_2": 200,
        "ca_operator": 200,
        "admin": 200,
    }.get(persona, 403)
    if persona != "anonymous":
        sign_in(client, getattr(cast, persona))
    response = client.get(LIST)
    if expected == LOGIN:
        assert response.status_code == 302 and reverse("login") in response["Location"]
    else:
        assert response.status_code == expected


def desk_url(name: str, province, month: Month) -> str:
    return reverse(f"monthly_reports:{name}", args=[province.pk, month.year, month.month])


def prepare(cast, month: Month):
    return partial(
        services.monthly_report_desk_prepare,
        province=cast.province_1,
        month=month,
        by=cast.officer_1,
    )


def complete(cast, month: Month):
    return partial(
        services.monthly_report_desk_complete,
        province=cast.province_1,
        month=month,
        by=cast.officer_1,
    )


def signed_report(cast, month, number="1/BC-SKHCN") -> MonthlyReport:
    report = MonthlyReport.objects.create(
        province=cast.province_1,
        office=cast.office_1,
        year=month.year,
        month=month.month,
        state=ReportState.SIGNED,
        number=number,
        issued_on=timezone.localdate(),
        signed_at=timezone.now(),
        signed_by=cast.officer_1,
        created_by=cast.officer_1,
    )
    document = MonthlyReportDocument(
        report=report, version=1, kind=DocumentKind.SIGNED, number=number
    )
    document.set_content(b"%PDF-1.7 signed")
    document.save()
    return report


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("officer_1", 200),
        ("ca_operator", 200),
        ("admin", 200),
        ("officer_2", 404),
        ("clerk_a", 403),
        ("head_a", 403),
        ("subscriber_user", 403),
    ],
)
def test_a_signed_report_downloads_in_scope_only(cast, client, month, persona, status):
    report = signed_report(cast, month)
    sign_in(client, getattr(cast, persona))

    response = client.get(reverse("monthly_reports:download", args=[report.pk]))

    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].endswith('_da_ky.pdf"')


def test_the_list_shows_the_provinces_reports_and_the_ca_every_province(cast, client, month):
    signed_report(cast, month)
    sign_in(client, cast.officer_2)
    page = client.get(LIST).content.decode()
    assert "Chưa có báo cáo tháng nào." in page and "Ký số và gửi UBND tỉnh" in page

    sign_in(client, cast.ca_operator)
    page = client.get(LIST).content.decode()
    assert "1/BC-SKHCN" in page and "Ký số và gửi UBND tỉnh" not in page


def test_the_statistics_page_links_to_the_reports_for_a_provincial_officer(cast, client):
    sign_in(client, cast.officer_1)
    assert "data-monthly-reports" in client.get("/thong-ke/").content.decode()
    sign_in(client, cast.clerk_a)
    assert "data-monthly-reports" not in client.get("/thong-ke/").content.decode()


def test_a_clerk_may_neither_preview_nor_sign(cast, client, month):
    sign_in(client, cast.clerk_a)
    thang = f"{month.year:04d}-{month.month:02d}"
    assert client.get(PREVIEW, {"thang": thang}).status_code == 403
    assert client.get(SIGN, {"thang": thang}).status_code == 403
    assert client.post(desk_url("desk_prepare", cast.province_1, month)).status_code == 403
    # An officer asking for another province: out of their scope.
    sign_in(client, cast.officer_2)
    response = client.get(PREVIEW, {"thang": thang, "tinh": cast.province_1.pk})
    assert response.status_code == 404
    assert client.post(desk_url("desk_prepare", cast.province_1, month)).status_code == 404
    assert not MonthlyReport.objects.exists()


@pytest.mark.parametrize(("year", "number"), [(0, 1), (99999, 1), (2025, 13), (2025, 0)])
def test_a_month_that_cannot_be_is_not_found(cast, client, year, number):
    sign_in(client, cast.officer_1)
    for name in ("desk_prepare", "desk_complete"):
        url = reverse(f"monthly_reports:{name}", args=[cast.province_1.pk, year, number])
        assert client.post(url).status_code == 404
    assert not MonthlyReport.objects.exists()


def pdf_text(tmp_path, pdf: bytes, name="report.pdf") -> str:
    path = tmp_path / name
    path.write_bytes(pdf)
    result = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return " ".join(result.stdout.split())


def test_the_draft_preview_is_an_unsigned_pdf_with_the_months_figures(
    seeded, client, month, tmp_path
):
    sign_in(client, seeded.officer_1)
    response = client.get(PREVIEW, {"thang": f"{month.year:04d}-{month.month:02d}"})

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(tmp_path, response.content)
    assert "UBND TỈNH LAI CHÂU" in text and "SỞ KHOA HỌC VÀ CÔNG NGHỆ" in text
    assert f"tháng {month.label}" in text
    assert "Kính gửi: Ủy ban nhân dân tỉnh Lai Châu." in text
    assert "Cấp mới 2" in text and "Gia hạn 1" in text and "Thu hồi 1" in text
    assert "Tiếp nhận 2" in text
    assert "Nơi nhận:" in text
    assert not MonthlyReport.objects.exists()  # a preview stores nothing


def test_the_current_month_cannot_be_reported(cast, client):
    sign_in(client, cast.officer_1)
    today = timezone.localdate()
    response = client.get(PREVIEW, {"thang": today.strftime("%Y-%m")}, follow=True)
    assert "Chỉ lập báo cáo cho tháng đã kết thúc." in response.content.decode()


def test_the_officer_signs_the_report_at_the_desk_and_both_verifiers_accept_it(
    seeded, signer, nss, month, tmp_path
):
    officer = seeded.officer_1

    done = sign_at_desk(prepare(seeded, month), complete(seeded, month), officer)

    report = MonthlyReport.objects.get()
    assert done.report == report and done.document.kind == DocumentKind.SIGNED
    assert (report.state, report.number, report.signed_by) == (
        ReportState.SIGNED,
        "1/BC-SKHCN",
        officer,
    )
    document = report.documents.get(kind=DocumentKind.SIGNED)
    pdf = bytes(document.content)
    # The rounds signed the kept rendering: the signed file is it plus two signatures.
    rendered = report.documents.get(kind=DocumentKind.RENDERED)
    assert pdf.startswith(bytes(rendered.content)) and report.issued_on == rendered.issued_on
    text = pdf_text(tmp_path, pdf)
    assert "Số: 1/BC-SKHCN" in text
    assert "V/v báo cáo tình hình quản lý, sử dụng chữ ký số chuyên dùng công vụ" in text
    assert "Cấp mới 2" in text and "Lò Văn Thắng" in text
    # Both signers belong to the Sở KH&CN that reports.
    reports = verify_pdf(pdf, agency=seeded.office_1)
    assert len(reports) == 2 and all(r.ok for r in reports), [r.problems for r in reports]
    assert [r.field_name for r in reports] == ["ChuKyLanhDao", "DauCoQuan"]
    path = tmp_path / "signed.pdf"
    path.write_bytes(pdf)
    checked = pdfsig(path, nss)
    first, second = re.split(r"^Signature #\d+:$", checked, flags=re.MULTILINE)[1:]
    assert "Common Name: Lò Văn Thắng" in first and "Field Name: ChuKyLanhDao" in first
    assert "Field Name: DauCoQuan" in second and "Total document signed" in second
    assert VALID in first and VALID in second
    # NSS chains the officer's certificate to the simulated root; poppler 22.12 reports every
    # later signature "Unknown issue" whatever its chain (tests/certificates/test_signing.py).
    assert "Certificate Validation: Certificate is Trusted." in first
    event = AuditEvent.objects.get(action="monthly_report.sign")
    assert event.after["number"] == "1/BC-SKHCN" and event.after["sha256"] == document.sha256
    # The signing monitor: one event per certificate, recorded once (certificates.desk
    # records none of its own).
    events = SigningEvent.objects.filter(document_kind=SignedDocumentKind.MONTHLY_REPORT)
    assert sorted(e.certificate.subject_kind for e in events) == ["organization", "person"]
    assert {(e.kind, e.document_id, e.document_number) for e in events} == {
        (SigningEventKind.SIGNED, report.pk, "1/BC-SKHCN")
    }


def test_a_signed_report_is_not_signed_again(seeded, signer, month):
    sign_at_desk(prepare(seeded, month), complete(seeded, month), seeded.officer_1)
    events = AuditEvent.objects.count()

    with pytest.raises(DomainError) as refused:
        prepare(seeded, month)()

    assert refused.value.code == "already_signed"
    assert "đã được ký số và gửi (số 1/BC-SKHCN)" in str(refused.value.message)
    assert MonthlyReportDocument.objects.filter(kind=DocumentKind.SIGNED).count() == 1
    assert AuditEvent.objects.count() == events


def test_the_officer_signs_through_the_page_and_its_endpoints(seeded, signer, client, month):
    officer = seeded.officer_1
    sign_in(client, officer)
    thang = f"{month.year:04d}-{month.month:02d}"
    page = client.get(SIGN, {"thang": thang}).content.decode()
    assert "data-desk-signing" in page and "js/desk-signing.js" in page
    prepare_url = desk_url("desk_prepare", seeded.province_1, month)
    assert f'data-prepare-url="{prepare_url}"' in page

    for step, status in (("signature", "next"), ("seal", "done")):
        response = client.post(prepare_url)
        assert response.status_code == 201, response.content
        prepared = response.json()
        assert prepared["step"] == step and prepared["document"]["number"] == "1/BC-SKHCN"
        desk = DeskSigning.objects.get(pk=prepared["request_id"])
        body = answer(desk, officer)
        response = client.post(
            desk_url("desk_complete", seeded.province_1, month),
            data=json.dumps(
                {
                    "request_id": prepared["request_id"],
                    "nonce": prepared["nonce"],
                    "signature": base64.b64encode(body.signature).decode(),
                    "certificate": base64.b64encode(body.certificate_der).decode(),
                }
            ),
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        assert response.json()["status"] == status

    assert response.json()["redirect"] == LIST
    assert MonthlyReport.objects.get().is_signed
    page = client.get(SIGN, {"thang": thang}).content.decode()
    assert "data-desk-signing" not in page and "không ký lại" in page
    response = client.post(prepare_url)
    assert response.status_code == 400 and response.json()["error"] == "already_signed"


def test_a_missing_certificate_is_refused_at_the_click_and_nothing_is_stored(cast, client, month):
    sign_in(client, cast.officer_1)

    response = client.post(desk_url("desk_prepare", cast.province_1, month))

    assert response.status_code == 400
    assert response.json()["error"] == "no_personal_certificate"
    assert "chưa có chứng thư số cá nhân còn hiệu lực" in response.json()["message"]
    assert not MonthlyReport.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="monthly_report").exists()


def test_an_answer_signed_with_a_foreign_certificate_is_refused_audited_and_stores_nothing(
    seeded, signer, month
):
    officer = seeded.officer_1
    desk = prepare(seeded, month)()
    seal = Certificate.objects.get(subject_organization=seeded.office_1)

    with pytest.raises(DomainError) as refused:
        complete(seeded, month)(answer=answer(desk, officer, certificate=seal))

    assert refused.value.code == "other_certificate"
    report = MonthlyReport.objects.get()
    assert report.state == ReportState.DRAFT and report.signed_at is None
    assert not report.documents.filter(kind=DocumentKind.SIGNED).exists()
    assert not DeskSigning.objects.filter(state=DeskState.DONE).exists()
    event = AuditEvent.objects.get(action="monthly_report.desk_refused")
    assert event.after["code"] == "other_certificate" and event.after["number"] == "1/BC-SKHCN"
    assert event.after["request_id"] == str(desk.pk)
    assert not AuditEvent.objects.filter(action="monthly_report.sign").exists()
    assert not SigningEvent.objects.exists()


def test_a_replayed_answer_is_refused_audited_and_changes_nothing(seeded, signer, month):
    officer = seeded.officer_1
    desk = prepare(seeded, month)()
    head = answer(desk, officer)
    assert complete(seeded, month)(answer=head).document is None
    seal = prepare(seeded, month)()

    with pytest.raises(DomainError) as refused:
        complete(seeded, month)(answer=head)

    assert refused.value.code == "used"
    assert AuditEvent.objects.get(action="monthly_report.desk_refused").after["code"] == "used"
    report = MonthlyReport.objects.get()
    assert not report.is_signed and not report.documents.filter(kind="signed").exists()
    # The seal still follows on the same rendering.
    done = complete(seeded, month)(answer=answer(seal, officer))
    assert done.document is not None and MonthlyReport.objects.get().is_signed


def test_a_request_of_another_document_is_refused(seeded, signer, month):
    """The answer to a request prepared for another report (the month before) is not this
    report's round."""
    officer = seeded.officer_1
    own = prepare(seeded, month)()
    other = prepare(seeded, Month.previous(month.first_day))()
    assert own.purpose != other.purpose

    with pytest.raises(DomainError) as refused:
        complete(seeded, month)(answer=answer(other, officer))

    assert refused.value.code == "foreign_request"
    assert AuditEvent.objects.filter(action="monthly_report.desk_refused").exists()
    assert not MonthlyReport.objects.filter(state=ReportState.SIGNED).exists()


def test_a_failed_attempt_keeps_the_number_and_the_rendering(seeded, signer, month):
    officer = seeded.officer_1
    first = prepare(seeded, month)()
    with pytest.raises(DomainError):
        complete(seeded, month)(answer=answer(first, officer, nonce="wrong"))

    sign_at_desk(prepare(seeded, month), complete(seeded, month), officer)

    report = MonthlyReport.objects.get()
    assert report.number == "1/BC-SKHCN" and report.is_signed
    assert AuditEvent.objects.filter(action="monthly_report.number").count() == 1
    assert report.documents.filter(kind=DocumentKind.RENDERED).count() == 1


def test_a_draft_left_unsigned_is_drawn_up_again_another_day_under_its_number(
    seeded, signer, month
):
    officer = seeded.officer_1
    prepare(seeded, month)()
    first_day = MonthlyReport.objects.get().issued_on

    with time_machine.travel(timezone.now() + timedelta(days=1)):
        sign_at_desk(prepare(seeded, month), complete(seeded, month), officer)

    report = MonthlyReport.objects.get()
    assert report.number == "1/BC-SKHCN" and report.issued_on == first_day + timedelta(days=1)
    assert report.documents.filter(kind=DocumentKind.RENDERED).count() == 2
    assert report.documents.get(kind=DocumentKind.SIGNED).issued_on == report.issued_on


def test_the_database_keeps_one_report_per_province_and_month_and_one_signed_file(cast, month):
    report = signed_report(cast, month)
    with pytest.raises(IntegrityError), transaction.atomic():
        MonthlyReport.objects.create(
            province=cast.province_1,
            office=cast.office_1,
            year=month.year,
            month=month.month,
            created_by=cast.officer_1,
        )
    second = MonthlyReportDocument(report=report, version=2, kind=DocumentKind.SIGNED)
    second.set_content(b"%PDF-1.7 again")
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()


def test_the_list_page_costs_the_same_queries_for_more_reports(
    cast, client, month, django_assert_max_num_queries
):
    sign_in(client, cast.ca_operator)
    signed_report(cast, month)
    with django_assert_max_num_queries(12):
        assert client.get(LIST).status_code == 200
    for year in range(2010, 2022):
        MonthlyReport.objects.create(
            province=cast.province_2,
            office=cast.office_2,
            year=year,
            month=1,
            created_by=cast.officer_2,
        )
    with django_assert_max_num_queries(12):
        assert client.get(LIST).status_code == 200


def test_the_pdf_is_vietnamese_whatever_the_signers_language(seeded, client, month, tmp_path):
    sign_in(client, seeded.officer_1)
    client.cookies["django_language"] = "en"
    thang = f"{month.year:04d}-{month.month:02d}"
    assert "Monthly reports" in client.get(LIST).content.decode()

    text = pdf_text(tmp_path, client.get(PREVIEW, {"thang": thang}).content)

    assert "Chứng thư số theo trạng thái" in text and "Certificates by" not in text


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("2025-03", Month(2025, 3)), ("3/2025", Month(2025, 3)), ("2025-13", None), ("tháng 3", None)],
)
def test_the_month_is_read_from_the_picker_or_as_typed(typed, expected):
    form = ReportMonthForm({"thang": typed})
    assert form.is_valid() == (expected is not None)
    if expected is not None:
        assert form.cleaned_data["thang"] == expected
    else:
        assert form.errors["thang"] == ["Hãy chọn tháng theo dạng mm/yyyy."]
