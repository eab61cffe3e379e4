"""The province's monthly report to its People's Committee (docs/architecture.md §10, "Monthly
report"): one row per province and month, and its signed PDF, stored like every official
document (portal.documents.StoredDocument)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agencies.querysets import ScopedQuerySet
from dashboard.choices import ReportState
from portal.documents import StoredDocument


class MonthlyReportQuerySet(ScopedQuerySet):
    """A province's officers see its reports; the CA and administrators all of them; no
    agency sees any (docs/architecture.md §5)."""

    scope_path = "province__path"

    def signed(self):
        return self.filter(state=ReportState.SIGNED)


class MonthlyReport(models.Model):
    province = models.ForeignKey(
        "agencies.Organization",
        verbose_name=_("tỉnh, thành phố"),
        on_delete=models.PROTECT,
        related_name="monthly_reports",
    )
    # The Sở KH&CN that reports, in whose name it is numbered and signed.
    office = models.ForeignKey(
        "agencies.Organization",
        verbose_name=_("cơ quan báo cáo"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    year = models.PositiveSmallIntegerField(_("năm"))
    month = models.PositiveSmallIntegerField(_("tháng"))
    state = models.CharField(
        _("trạng thái"), max_length=10, choices=ReportState.choices, default=ReportState.DRAFT
    )
    number = models.CharField(_("số văn bản"), max_length=64, blank=True)
    issued_on = models.DateField(_("ngày ban hành"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người lập"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("lập lúc"), auto_now_add=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người ký"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_at = models.DateTimeField(_("ký lúc"), null=True, blank=True)

    objects = MonthlyReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("báo cáo tháng")
        verbose_name_plural = _("báo cáo tháng")
        ordering = ["-year", "-month", "province__name"]
        constraints = [
            # One report per province and month, draft or signed: a second signing finds the
            # signed row under its lock and is refused; two first attempts at once cannot
            # both create one.
            models.UniqueConstraint(
                fields=["province", "year", "month"],
                name="dashboard_monthly_report_one_per_month",
                violation_error_message=_("Tỉnh đã có báo cáo của tháng này."),
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12),
                name="dashboard_monthly_report_month_valid",
                violation_error_message=_("Tháng phải từ 1 đến 12."),
            ),
            models.CheckConstraint(
                condition=~Q(state=ReportState.SIGNED)
                | (~Q(number="") & Q(issued_on__isnull=False) & Q(signed_at__isnull=False)),
                name="dashboard_monthly_report_signed_complete",
                violation_error_message=_(
                    "Báo cáo đã ký phải có số, ngày ban hành và thời điểm ký."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.province} {self.month:02d}/{self.year}"

    @property
    def period(self) -> str:
        return f"{self.month:02d}/{self.year}"

    @property
    def is_signed(self) -> bool:
        return self.state == ReportState.SIGNED


class MonthlyReportDocument(StoredDocument):
    """The signed PDF of a monthly report: exactly one per report (the constraint)."""

    report = models.ForeignKey(
        MonthlyReport,
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name=_("báo cáo tháng"),
    )

    class Meta(StoredDocument.Meta):
        verbose_name = _("tệp báo cáo tháng")
        verbose_name_plural = _("tệp báo cáo tháng")
        constraints = [
            models.UniqueConstraint(
                fields=["report", "version"],
                name="dashboard_monthlydoc_version_unique",
                violation_error_message=_("Phiên bản này của báo cáo đã tồn tại."),
            ),
            models.UniqueConstraint(
                fields=["report"],
                condition=Q(kind="signed"),
                name="dashboard_monthlydoc_one_signed",
                violation_error_message=_("Báo cáo tháng này đã được ký số."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report} v{self.version}"

    @property
    def download_name(self) -> str:
        report = self.report
        return self.file_name(f"BaoCao_{report.month:02d}_{report.year}_{report.number}")


class CertificateEventMonth(models.Model):
    """How many certificate events of one kind happened nationwide in one month that has
    ended: written once, by the first statistics page that needs the month
    (`dashboard.event_months`), never changed, since events are only ever appended at the
    moment they happen. One row per kind, zeros included, so a month with a row is tallied."""

    month = models.DateField(_("tháng"))  # its first day, in the portal's time zone
    kind = models.CharField(_("sự kiện"), max_length=16)
    n = models.PositiveIntegerField(_("số sự kiện"))

    class Meta:
        verbose_name = _("số sự kiện chứng thư trong tháng")
        verbose_name_plural = _("số sự kiện chứng thư theo tháng")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "kind"], name="dashboard_event_month_one_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.month:%m/%Y}: {self.n}"
