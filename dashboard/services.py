"""Writes of the roof: a province's monthly report signed at the officer's desk and sent to
its People's Committee (docs/statistics.md §10, "Monthly report"), and the statistics'
tally of ended months (§10, "Ended months are tallied once")."""

from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.access import scope_for
from agencies.choices import Role
from agencies.documents import place_name
from agencies.models import Organization
from agencies.services import document_number_next
from certificates.choices import CertEventKind, SignedDocumentKind, SigningEventKind
from certificates.desk.models import DeskSigning
from certificates.desk.rounds import desk_round_complete, desk_round_prepare
from certificates.desk.services import DeskAnswer
from certificates.models import CertificateEvent
from certificates.services import signing_event_record
from certificates.signing import (
    SEAL_FIELD,
    SIGNATURE_FIELD,
    anchor_position,
    personal_signing_certificate,
    seal_certificate,
)
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
    if (
        not (2000 <= month.year <= 9999 and 1 <= month.month <= 12)
        or month.first_day >= Month(today.year, today.month).first_day
    ):
        raise DomainError(_("Chỉ lập báo cáo cho tháng đã kết thúc."), code="month")


def _office_of(by, province: Organization) -> Organization:
    office = reporting_office(by, province)
    if office is None or not scope_for(by).holds(Role.PROVINCIAL_OFFICER, province.path):
        raise DomainError(
            _("Chỉ cán bộ Sở Khoa học và Công nghệ của tỉnh được ký báo cáo tháng của tỉnh."),
            code="forbidden",
        )
    return office


# --- signed at the signer's desk (docs/ca.md, "Signing at the signer's desk") ----------------
@dataclass(frozen=True)
class ReportDeskRound:
    """The outcome of one completed round: the signed file after the seal, None after the
    officer's signature (the seal comes next)."""

    field_name: str
    report: MonthlyReport
    document: MonthlyReportDocument | None


def _purpose(report_id: int, rendered_id: int, field_name: str) -> str:
    # The rendered version names the draft: a report drawn up again is signed afresh.
    return f"monthly_report:{report_id}:{rendered_id}:{field_name}"


def _check_certificates(by, office: Organization) -> None:
    """Told at the click, before a number is drawn: the officer's personal certificate and the
    Sở's seal, both needed (the report goes out as the Sở's document, signed and sealed)."""
    if personal_signing_certificate(by) is None:
        raise DomainError(
            _("Bạn chưa có chứng thư số cá nhân còn hiệu lực để ký báo cáo. Chưa có gì thay đổi."),
            code="no_personal_certificate",
        )
    if seal_certificate(office) is None:
        raise DomainError(
            _(
                "Cơ quan %(agency)s chưa có chứng thư số cơ quan, tổ chức còn hiệu lực: "
                "không thể đóng dấu số văn bản."
            )
            % {"agency": office.name},
            code="no_seal_certificate",
        )


def _current_rendered(locked: MonthlyReport) -> MonthlyReportDocument | None:
    """The draft's newest rendered version under its number: the bytes its rounds sign."""
    if not locked.number:
        return None
    return (
        MonthlyReportDocument.objects.filter(
            report=locked, kind=DocumentKind.RENDERED, number=locked.number
        )
        .defer("in_row")  # read once, by the preparation that signs it
        .order_by("-version")
        .first()
    )


def _usable(locked: MonthlyReport, rendered: MonthlyReportDocument | None, today: date) -> bool:
    """Whether the next round goes on `rendered`: yes once the officer's signature on it is
    kept (the seal comes next); before that, only if it is dated today. A seal already done on
    it while the report is unsigned (its storing was lost) or a signed PDF the sweep emptied
    starts the rounds again on a fresh rendering, under the same number."""
    if rendered is None:
        return False
    purpose = partial(_purpose, locked.pk, rendered.pk)
    if DeskSigning.objects.done_for(purpose(SEAL_FIELD)).exists():
        return False
    head = DeskSigning.objects.done_for(purpose(SIGNATURE_FIELD))
    if head.exists():
        return head.exclude(signed_pdf=b"").exists()
    return rendered.issued_on == today


def _lock_draft(*, province, month: Month, by, create: bool) -> tuple[MonthlyReport, Organization]:
    """The report's row locked, with the right to sign it decided on it (inside the caller's
    transaction): `by` is the province's officer, the month has ended, the report unsigned."""
    office = _office_of(by, province)
    check_month(month)
    if create:
        MonthlyReport.objects.get_or_create(
            province=province,
            year=month.year,
            month=month.month,
            defaults={"office": office, "created_by": by},
        )
    locked = (
        MonthlyReport.objects.select_for_update()
        .filter(province=province, year=month.year, month=month.month)
        .first()
    )
    if locked is None:
        raise DomainError(
            _("Báo cáo tháng này chưa được chuẩn bị để ký: hãy bấm Ký lại."), code="no_draft"
        )
    if locked.is_signed:
        raise already_signed_error(locked)
    return locked, office


def _reserve(*, province, month: Month, by) -> tuple[MonthlyReport, MonthlyReportDocument | None]:
    """The draft under its lock, with its number drawn once (kept by a draft whose signing
    failed, so a retry neither skips nor repeats one), and its usable rendered version, or
    None with today's date set for a new rendering."""
    with transaction.atomic():
        locked, office = _lock_draft(province=province, month=month, by=by, create=True)
        today = timezone.localdate()
        rendered = _current_rendered(locked)
        if _usable(locked, rendered, today):
            return locked, rendered
        if not locked.number:
            locked.number = document_number_next(
                organization=office,
                series=SERIES,
                year=today.year,
                pattern="{n}/{series}-{org}",
                blank_org=BLANK_OFFICE,
            )
            audit_record(
                actor=by,
                action="monthly_report.number",
                obj=locked,
                after={"number": locked.number, "period": month.label},
            )
        locked.office = office
        locked.issued_on = today
        locked.save(update_fields=["number", "office", "issued_on"])
    return locked, None


def _next_version(locked: MonthlyReport) -> int:
    last = locked.documents.aggregate(last=Max("version"))["last"]
    return (last or 0) + 1


def _store_rendered(*, report: MonthlyReport, month: Month, pdf: bytes, by):
    """Keep `pdf` as the draft's rendered version, the bytes both rounds sign; another
    preparation's kept while this one rendered wins (the lock serialises them)."""
    with transaction.atomic():
        locked, _office = _lock_draft(province=report.province, month=month, by=by, create=False)
        rendered = _current_rendered(locked)
        if _usable(locked, rendered, timezone.localdate()):
            return locked, rendered
        if (locked.number, locked.issued_on) != (report.number, report.issued_on):
            raise DomainError(
                _("Báo cáo vừa được người khác chuẩn bị lại. Hãy bấm Ký lần nữa."),
                code="stale",
            )
        rendered = MonthlyReportDocument(
            report=locked,
            version=_next_version(locked),
            kind=DocumentKind.RENDERED,
            number=locked.number,
            issued_on=locked.issued_on,
            created_by=by,
        )
        rendered.set_content(pdf)
        rendered.save()
        audit_record(
            actor=by,
            action="monthly_report.render",
            obj=locked,
            after={
                "number": locked.number,
                "period": month.label,
                "version": rendered.version,
                "sha256": rendered.sha256,
            },
        )
    return locked, rendered


def monthly_report_desk_prepare(*, province: Organization, month: Month, by) -> DeskSigning:
    """The next round of `province`'s report of `month` at the officer's desk: their
    signature over the report's rendered PDF, or, once that is done, the Sở's seal over their
    signed PDF (`certificates.desk.rounds`).

    Refused (a DomainError, nothing stored) when `by` is not the province's officer, the month
    has not ended, the report is already signed, or a certificate is missing. The PDF is
    rendered once, outside any transaction, and kept as the draft's rendered version, so the
    rounds and the signed file are over the same bytes."""
    office = _office_of(by, province)
    check_month(month)
    _check_certificates(by, office)
    report, rendered = _reserve(province=province, month=month, by=by)
    if rendered is None:
        pdf = report_pdf(
            user=by,
            province=province,
            office=office,
            month=month,
            number=report.number,
            day=report.issued_on,
        )
        report, rendered = _store_rendered(report=report, month=month, pdf=pdf, by=by)
    content = bytes(rendered.content)
    return desk_round_prepare(
        pdf=content,
        agency=report.office,
        # Over the signature block, above the officer's name (monthly_report.html).
        position=anchor_position(content, SIGNATURE_ANCHOR),
        purpose=partial(_purpose, report.pk, rendered.pk),
        reason=f"Ký số báo cáo tháng {month.label}",  # in the PDF: always Vietnamese
        no_personal_message=_("Bạn chưa có chứng thư số cá nhân còn hiệu lực để ký báo cáo."),
        by=by,
        document_number=report.number,
        title=f"Báo cáo tháng {month.label} của {province.name}",
        location=place_name(report.office),
    )


def _audit_refusal(*, province, month: Month, by, desk_signing_id, error: DomainError) -> None:
    report = MonthlyReport.objects.filter(
        province=province, year=month.year, month=month.month
    ).first()
    with transaction.atomic():
        audit_record(
            actor=by,
            action="monthly_report.desk_refused",
            obj=report or province,
            after={
                "period": month.label,
                "number": report.number if report else "",
                "request_id": str(desk_signing_id),
                "code": error.code,
            },
            reason=str(error.message),
        )


def _store_signed(*, report: MonthlyReport, rendered, month: Month, pdf: bytes, by):
    """The sealed PDF as the report's signed file, the report signed, on the locked row."""
    with transaction.atomic():
        locked, office = _lock_draft(province=report.province, month=month, by=by, create=False)
        if (current := _current_rendered(locked)) is None or current.pk != rendered.pk:
            raise DomainError(
                _("Báo cáo vừa được người khác chuẩn bị lại. Hãy bấm Ký lần nữa."),
                code="stale",
            )
        document = MonthlyReportDocument(
            report=locked,
            version=_next_version(locked),
            kind=DocumentKind.SIGNED,
            number=locked.number,
            issued_on=rendered.issued_on,
            created_by=by,
        )
        document.set_content(pdf)
        document.save()
        locked.state = ReportState.SIGNED
        locked.issued_on = rendered.issued_on
        locked.signed_by = by
        locked.signed_at = timezone.now()
        locked.save(update_fields=["state", "issued_on", "signed_by", "signed_at"])
        audit_record(
            actor=by,
            action="monthly_report.sign",
            obj=locked,
            after={
                "number": locked.number,
                "period": month.label,
                "province": locked.province.name,
                "sha256": document.sha256,
                "size": document.size,
            },
        )
        # certificates.desk records no monitor event: one per certificate used, once.
        purpose = partial(_purpose, locked.pk, rendered.pk)
        for field_name in (SIGNATURE_FIELD, SEAL_FIELD):
            done = DeskSigning.objects.done_for(purpose(field_name)).select_related("certificate")
            signing_event_record(
                kind=SigningEventKind.SIGNED,
                certificate=done.get().certificate,
                agency=office,
                document_kind=SignedDocumentKind.MONTHLY_REPORT,
                document_id=locked.pk,
                document_number=locked.number,
            )
    return locked, document


def monthly_report_desk_complete(
    *,
    province: Organization,
    month: Month,
    answer: DeskAnswer,
    by,
) -> ReportDeskRound:
    """Embed the signature the officer's device returned (`answer`);
    after the seal, store the sealed PDF as the report's signed file and the report as signed
    (audit `monthly_report.sign`). Raises a `DomainError` when anything is refused: audited
    (`monthly_report.desk_refused`), nothing stored. Of two completions at once, the desk's
    constraint (one done request per round) and the report's lock let one through."""
    try:
        with transaction.atomic():
            locked, _office = _lock_draft(province=province, month=month, by=by, create=False)
            rendered = _current_rendered(locked)
        if rendered is None:
            raise DomainError(
                _("Báo cáo tháng này chưa được chuẩn bị để ký: hãy bấm Ký lại."), code="no_draft"
            )
        completed = desk_round_complete(
            purpose=partial(_purpose, locked.pk, rendered.pk),
            answer=answer,
            by=by,
        )
        if completed.field_name != SEAL_FIELD:
            return ReportDeskRound(field_name=completed.field_name, report=locked, document=None)
        report, document = _store_signed(
            report=locked, rendered=rendered, month=month, pdf=completed.pdf, by=by
        )
    except DomainError as exc:
        _audit_refusal(
            province=province, month=month, by=by, desk_signing_id=answer.desk_signing_id, error=exc
        )
        raise
    return ReportDeskRound(field_name=SEAL_FIELD, report=report, document=document)


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
