"""A province's monthly report to its People's Committee (docs/statistics.md §10, "Monthly
report"): the figures of ONE province for ONE month, and its PDF in the NĐ 30 layout.

The month's own counts (certificates issued, renewed, changed and revoked in the month, letters
the Sở KH&CN received and handled, deadlines closed in time or late and those overdue at the
month's end) are grouped queries over `visible_to(user)` narrowed to the province, like every
figure of the statistics page; the standing figures (registry, devices, letters by stage, …)
are the statistics page's own (`dashboard.statistics.compute`), as of the day the report is
drawn up, with the twelve-month trend ending with the report's month.
"""

from dataclasses import dataclass

from django.db.models import Count, F, Q
from django.utils import timezone, translation
from django.utils.safestring import SafeString

from agencies.choices import OrgKind, Role
from agencies.documents import document_header
from agencies.models import Membership, Organization
from agencies.names import account_name
from certificates.choices import CertEventKind
from certificates.models import Certificate, CertificateEvent
from dashboard import monitor, statistics
from dashboard.months import Month
from dashboard.statistics import Table
from portal.lib.charts import FONT, bar_chart
from portal.lib.pdf import render_pdf
from portal.models import Deadline
from requests_app.choices import Status
from requests_app.models import CertRequest, Transition

TEMPLATE = "dashboard/pdf/monthly_report.html"
# The report's number series of the Sở KH&CN: "3/BC-SKHCN".
SERIES = "BC"
BLANK_OFFICE = "SKHCN"
# In a PDF the charts' text uses the document's own embedded font (static/css/pdf.css), not a
# font of the host (docs/documents.md §8).
PDF_FONT = 'font-family="Liberation Serif Portal"'
SUBJECT = "V/v báo cáo tình hình quản lý, sử dụng chữ ký số chuyên dùng công vụ tháng {period}"


@dataclass(frozen=True)
class MonthCounts:
    issued: int
    renewed: int
    changed: int
    revoked: int
    letters_received: int
    letters_handled: int
    deadlines_in_time: int
    deadlines_late: int
    deadlines_overdue: int

    @property
    def in_time_rate(self) -> str:
        closed = self.deadlines_in_time + self.deadlines_late
        if not closed:
            return "—"
        return f"{100 * self.deadlines_in_time / closed:.1f}".replace(".", ",") + " %"


def officer_provinces(user) -> list[Organization]:
    """The provinces whose Sở KH&CN the user works for as provincial officer."""
    ids = (
        Membership.objects.filter(user=user, role=Role.PROVINCIAL_OFFICER)
        .exclude(organization__province=None)
        .values("organization__province")
    )
    return list(Organization.objects.filter(pk__in=ids).order_by("name"))


def reporting_office(user, province: Organization) -> Organization | None:
    """The Sở KH&CN of `province` in whose name `user` reports (their own membership)."""
    membership = (
        Membership.objects.filter(
            user=user,
            role=Role.PROVINCIAL_OFFICER,
            organization__kind=OrgKind.PROVINCIAL_OFFICE,
            organization__province=province,
        )
        .select_related("organization__parent")
        .order_by("pk")
        .first()
    )
    return membership.organization if membership is not None else None


def month_counts(user, province: Organization, month: Month) -> MonthCounts:
    """What happened in the province during `month`, within `visible_to(user)`: three
    grouped queries."""
    start, end = month.bounds()
    certificates = Certificate.objects.visible_to(user).within(province.path)
    events = dict(
        CertificateEvent.objects.filter(
            certificate__in=certificates.values("pk"), at__gte=start, at__lt=end
        )
        .order_by()
        .values_list("kind")
        .annotate(n=Count("pk"))
    )
    letters = CertRequest.objects.visible_to(user).within(province.path)
    steps = Transition.objects.filter(
        cert_request__in=letters.values("pk"), at__gte=start, at__lt=end
    ).aggregate(
        received=Count("cert_request", distinct=True, filter=Q(to_status=Status.PROVINCE_REVIEW)),
        handled=Count(
            "cert_request",
            distinct=True,
            filter=Q(from_status=Status.PROVINCE_REVIEW) & ~Q(to_status=Status.PROVINCE_REVIEW),
        ),
    )
    agencies = Organization.objects.visible_to(user).within(province.path).values("pk")
    closed_in_month = Q(closed_at__gte=start, closed_at__lt=end)
    deadlines = Deadline.objects.filter(agency_id__in=agencies).aggregate(
        in_time=Count("pk", filter=closed_in_month & Q(closed_at__date__lte=F("due_on"))),
        late=Count("pk", filter=closed_in_month & Q(closed_at__date__gt=F("due_on"))),
        overdue=Count(
            "pk",
            filter=Q(opened_at__lt=end, due_on__lt=month.next_first_day)
            & (Q(closed_at__isnull=True) | Q(closed_at__gte=end)),
        ),
    )
    return MonthCounts(
        issued=events.get(CertEventKind.ISSUED, 0),
        renewed=events.get(CertEventKind.RENEWED, 0),
        changed=events.get(CertEventKind.INFO_CHANGED, 0),
        revoked=events.get(CertEventKind.REVOKED, 0),
        letters_received=steps["received"],
        letters_handled=steps["handled"],
        deadlines_in_time=deadlines["in_time"],
        deadlines_late=deadlines["late"],
        deadlines_overdue=deadlines["overdue"],
    )


def month_tables(counts: MonthCounts) -> list[Table]:
    """The month's counts as the report's first three tables, each with its chart."""
    certificates = Table(
        "thang-chung-thu",
        "Chứng thư số cấp mới, gia hạn, thay đổi thông tin và thu hồi trong tháng",
        ["Nội dung", "Số chứng thư"],
        [
            [str(CertEventKind.ISSUED.label), counts.issued],
            [str(CertEventKind.RENEWED.label), counts.renewed],
            [str(CertEventKind.INFO_CHANGED.label), counts.changed],
            [str(CertEventKind.REVOKED.label), counts.revoked],
        ],
    )
    letters = Table(
        "thang-van-ban",
        "Văn bản đề nghị Sở Khoa học và Công nghệ tiếp nhận và xử lý trong tháng",
        ["Nội dung", "Số văn bản"],
        [
            ["Tiếp nhận", counts.letters_received],
            ["Đã xử lý (chuyển CA, tự xử lý, trả lại hoặc từ chối)", counts.letters_handled],
        ],
    )
    deadlines = Table(
        "thang-dung-han",
        "Thời hạn xử lý trong tháng",
        ["Nội dung", "Số lượt"],
        [
            ["Hoàn thành đúng hạn", counts.deadlines_in_time],
            ["Hoàn thành trễ hạn", counts.deadlines_late],
            ["Quá hạn chưa hoàn thành đến cuối tháng", counts.deadlines_overdue],
        ],
    )
    tables = [certificates, letters, deadlines]
    for table in tables:
        table.chart = bar_chart(table.title, [(row[0], row[1]) for row in table.rows])
    return tables


def standing_tables(user, province: Organization, month: Month) -> list[Table]:
    """The statistics page's figures for the province, computed now (not the page's cache)."""
    today = timezone.localdate()
    trend_until = min(month.last_day, today)
    return statistics.compute(user, province, trend_until=trend_until)


def _for_pdf(tables: list[Table]) -> list[Table]:
    for table in tables:
        if table.chart:
            table.chart = SafeString(str(table.chart).replace(str(FONT), PDF_FONT))
    return tables


def addressee(province: Organization) -> str:
    """ "Ủy ban nhân dân tỉnh Lai Châu": the province's kind in lower case after the body."""
    name = province.name
    for prefix in ("Tỉnh ", "Thành phố "):
        if name.startswith(prefix):
            name = prefix.lower() + name[len(prefix) :]
            break
    return f"Ủy ban nhân dân {name}"


def report_context(
    *, user, province: Organization, office: Organization, month: Month, number: str, day
) -> dict:
    """Everything the PDF template needs; `number` blank and `day` None for a draft."""
    counts = month_counts(user, province, month)
    signer = account_name(user)
    number_text = number or f"      /{SERIES}-{office.short_name or BLANK_OFFICE}"
    this_month = _for_pdf(month_tables(counts))
    standing = _for_pdf(standing_tables(user, province, month))
    return {
        "document_title": f"Báo cáo tháng {month.label} – {office.name}",
        "header": document_header(
            office, number=number_text, subject=SUBJECT.format(period=month.label), day=day
        ),
        "addressee": addressee(province),
        "province": province,
        "office": office,
        "month": month,
        "counts": counts,
        "month_tables": this_month,
        "standing_tables": standing,
        # Letter 86/BCY-CTSBMTT's signing activity (docs/architecture.md §13), from the rollups.
        "signing_tables": _for_pdf(monitor.report_tables(user, province, month)),
        "signing_offset": len(this_month) + len(standing),
        "as_of": timezone.localdate(),
        "signer_name": signer,
        "draft": not number,
    }


def report_pdf(**kwargs) -> bytes:
    """The report's PDF (unsigned), rendered outside any transaction by the caller. A legal
    document: in Vietnamese whatever the signer's interface language (the statistics' titles
    are translated strings)."""
    with translation.override("vi"):
        return render_pdf(TEMPLATE, report_context(**kwargs))
