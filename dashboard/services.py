"""Writes of the roof: a province's monthly report signed and sent to its People's Committee
(docs/architecture.md §10, "Monthly report"), and the statistics' tally of ended months
(§10, "Ended months are tallied once")."""

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.access import scope_for
from agencies.choices import Role
from agencies.documents import place_name
from agencies.models import Organization
from agencies.services import document_number_next
from certificates.choices import CertEventKind, SignedDocumentKind
from certificates.models import CertificateEvent
from certificates.services import signing_events_record_pair
from certificates.signing import anchor_position, sign_and_seal, signing_pair
from dashboard.choices import ReportState
from dashboard.event_months import events_per_month, trend_months, untallied_months
from dashboard.models import CertificateEventMonth, MonthlyReport, MonthlyReportDocument
from dashboard.months import Month
from dashboard.reports import BLANK_OFFICE, SERIES, report_pdf, reporting_office
from portal.audit import audit_record
from portal.documents import DocumentKind
from portal.errors import DomainError

SIGNATURE_ANCHOR = "chu-ky-bao-cao"  # templates/dashboard/pdf/monthly_report.html


def already_signed_error(report: MonthlyReport) -> DomainError:
    return DomainError(
        _(
            "Báo cáo tháng %(period)s của %(province)s đã được ký số và gửi (số %(number)s): "
            "không ký lại. Chưa có gì thay đổi."
        )
        % {"period": report.period, "province": report.province.name, "number": report.number},
        code="already_signed",
    )


def check_month(month: Month, today=None) -> None:
    """Only a month that has ended can be reported."""
    today = today or timezone.localdate()
    if month.first_day >= Month(today.year, today.month).first_day or month.year < 2000:
        raise DomainError(_("Chỉ lập báo cáo cho tháng đã kết thúc."), code="month")


def _office_of(by, province: Organization) -> Organization:
    office = reporting_office(by, province)
    if office is None or not scope_for(by).holds(Role.PROVINCIAL_OFFICER, province.path):
        raise DomainError(
            _("Chỉ cán bộ Sở Khoa học và Công nghệ của tỉnh được ký báo cáo tháng của tỉnh."),
            code="forbidden",
        )
    return office


def _reserve(*, province, office, month: Month, by) -> MonthlyReport:
    """The report's row under its lock with its number and today's date: the number is drawn
    once (kept by a draft whose signing failed, so a retry neither skips nor repeats one)."""
    with transaction.atomic():
        report, _created = MonthlyReport.objects.get_or_create(
            province=province,
            year=month.year,
            month=month.month,
            defaults={"office": office, "created_by": by},
        )
        report = MonthlyReport.objects.select_for_update().get(pk=report.pk)
        if report.is_signed:
            raise already_signed_error(report)
        today = timezone.localdate()
        if not report.number:
            report.number = document_number_next(
                organization=office,
                series=SERIES,
                year=today.year,
                pattern="{n}/{series}-{org}",
                blank_org=BLANK_OFFICE,
            )
            audit_record(
                actor=by,
                action="monthly_report.number",
                obj=report,
                after={"number": report.number, "period": month.label},
            )
        report.office = office
        report.issued_on = today
        report.save(update_fields=["number", "office", "issued_on"])
    return report


def monthly_report_sign(*, province: Organization, month: Month, by) -> MonthlyReport:
    """Draw up `province`'s report of `month`, sign it with `by`'s personal certificate and
    seal it with their Sở KH&CN's organisation certificate, and store the signed PDF.

    Refused (a DomainError, nothing stored) when `by` is not the province's officer, the month
    has not ended, the report is already signed, or a certificate is missing
    (`signing_pair`'s message). The PDF is rendered and signed outside any transaction; the
    decision is taken again on the locked row before the signed version is stored, so of two
    signings at once exactly one is stored (and the constraints guarantee it)."""
    office = _office_of(by, province)
    check_month(month)
    existing = MonthlyReport.objects.filter(
        province=province, year=month.year, month=month.month, state=ReportState.SIGNED
    ).first()
    if existing is not None:
        raise already_signed_error(existing)
    pair = signing_pair(user=by, agency=office)

    report = _reserve(province=province, office=office, month=month, by=by)
    pdf = report_pdf(
        user=by,
        province=province,
        office=office,
        month=month,
        number=report.number,
        day=report.issued_on,
    )
    signed = sign_and_seal(
        pdf,
        pair=pair,
        agency_name=office.name,
        by=by,
        reason=f"Ký số báo cáo tháng {month.label}",  # in the PDF: always Vietnamese
        location=place_name(office),
        position=anchor_position(pdf, SIGNATURE_ANCHOR),
    )
    signing_events_record_pair(
        pair=pair,
        agency=office,
        document_kind=SignedDocumentKind.MONTHLY_REPORT,
        document_id=report.pk,
        document_number=report.number,
    )

    with transaction.atomic():
        locked = MonthlyReport.objects.select_for_update().get(pk=report.pk)
        if locked.is_signed:
            raise already_signed_error(locked)
        if (locked.number, locked.issued_on) != (report.number, report.issued_on):
            raise DomainError(
                _("Báo cáo vừa được người khác chuẩn bị lại. Hãy thử ký lần nữa."),
                code="stale",
            )
        document = MonthlyReportDocument(
            report=locked,
            version=locked.documents.count() + 1,
            kind=DocumentKind.SIGNED,
            number=locked.number,
            issued_on=locked.issued_on,
            created_by=by,
        )
        document.set_content(signed)
        document.save()
        locked.state = ReportState.SIGNED
        locked.signed_by = by
        locked.signed_at = timezone.now()
        locked.save(update_fields=["state", "signed_by", "signed_at"])
        audit_record(
            actor=by,
            action="monthly_report.sign",
            obj=locked,
            after={
                "number": locked.number,
                "period": month.label,
                "province": province.name,
                "sha256": document.sha256,
                "size": document.size,
            },
        )
    return locked


def certificate_event_months_tally(*, now: datetime | None = None) -> int:
    """Beat (daily): tally the nationwide counts of certificate events of every month of the
    statistics' trend that has settled and has no tally yet (`dashboard.event_months`): one
    row per kind, zeros included. Returns the months tallied.

    Idempotent by the unique constraint (month, kind): a rerun finds the months tallied and
    writes nothing; two runs at once count the same figures and the constraint keeps one
    row each. A derived figure, not a decision, so no audit event. The statistics page only
    reads the tally and counts an untallied month from the events (a GET never writes)."""
    now = now or timezone.now()
    missing = untallied_months(trend_months(timezone.localdate(now)), now)
    if not missing:
        return 0
    counts = events_per_month(
        CertificateEvent.objects.exclude(kind=CertEventKind.EXPIRED),
        _consecutive(missing),
    )
    CertificateEventMonth.objects.bulk_create(
        [
            CertificateEventMonth(month=month, kind=kind, n=counts.get((month, kind), 0))
            for month in missing
            for kind in CertEventKind.values
            if kind != CertEventKind.EXPIRED
        ],
        ignore_conflicts=True,
    )
    return len(missing)


def _consecutive(months: list[date]) -> list[date]:
    """Every month from the first of `months` to the last, as `events_per_month` needs."""
    found, month = [], Month.of(months[0])
    while month.first_day <= months[-1]:
        found.append(month.first_day)
        month = Month.of(month.next_first_day)
    return found
