"""The province's monthly report to its People's Committee (docs/statistics.md §10, "Monthly
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


# --- The signing-activity monitor (docs/architecture.md §13) --------------------------------
# Written by the worker only (`dashboard.monitor_rollups`), from `certificates.SigningEvent`;
# the monitor's pages and the monthly report read these rows, never the events whole.


class AgencyScopedQuerySet(ScopedQuerySet):
    """Rows scoped by their agency: a clerk or head sees their agency, a Sở KH&CN its
    province, the CA everything (docs/architecture.md §5)."""


class SigningAgencyMonth(models.Model):
    """One agency's signing in one month: documents signed (at the portal or uploaded signed),
    signatures, those made at night, with a public CA's certificate, or with a revoked or
    expired one."""

    month = models.DateField(_("tháng"))  # its first day, in the portal's time zone
    agency = models.ForeignKey(
        "agencies.Organization",
        verbose_name=_("cơ quan"),
        on_delete=models.PROTECT,
        related_name="signing_months",
    )
    documents = models.PositiveIntegerField(_("văn bản đã ký"), default=0)
    signatures = models.PositiveIntegerField(_("chữ ký"), default=0)
    night = models.PositiveIntegerField(_("chữ ký ban đêm"), default=0)
    public = models.PositiveIntegerField(_("chữ ký bằng chứng thư công cộng"), default=0)
    bad = models.PositiveIntegerField(_("chữ ký bằng chứng thư đã thu hồi, hết hạn"), default=0)

    objects = AgencyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("hoạt động ký số của cơ quan trong tháng")
        verbose_name_plural = _("hoạt động ký số của cơ quan theo tháng")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "agency"], name="dashboard_signing_agency_month_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.month:%m/%Y}: {self.documents}"


class SigningCertificateMonth(models.Model):
    """One certificate's signing in one month, within one agency: signatures (made or
    uploaded), those at night, those seen while it was revoked or expired, verifications and
    OCSP questions; the last signature's time (the idle list reads it)."""

    month = models.DateField(_("tháng"))
    agency = models.ForeignKey(
        "agencies.Organization",
        verbose_name=_("cơ quan"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    serial = models.CharField(_("số hiệu chứng thư"), max_length=40)
    certificate = models.ForeignKey(
        "certificates.Certificate",
        verbose_name=_("chứng thư"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signing_months",
    )
    issuer_kind = models.CharField(_("loại CA phát hành"), max_length=10)
    signatures = models.PositiveIntegerField(_("chữ ký"), default=0)
    night = models.PositiveIntegerField(_("chữ ký ban đêm"), default=0)
    bad = models.PositiveIntegerField(_("chữ ký khi đã thu hồi, hết hạn"), default=0)
    verified = models.PositiveIntegerField(_("lượt kiểm tra"), default=0)
    ocsp = models.PositiveIntegerField(_("lượt tra cứu OCSP"), default=0)
    last_signed_at = models.DateTimeField(_("ký lần cuối"), null=True, blank=True)

    objects = AgencyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("hoạt động ký số của chứng thư trong tháng")
        verbose_name_plural = _("hoạt động ký số của chứng thư theo tháng")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "agency", "serial"],
                name="dashboard_signing_cert_month_unique",
            ),
        ]
        indexes = [
            # The page's lists (§13): the month's biggest signers, its revoked or expired
            # and its public-CA certificates, each in its order for the country (and a
            # province, whose share is found early in that order) and within one agency
            # (which would otherwise be a few rows scattered through the whole month);
            # the idle list's last signature per certificate.
            models.Index(fields=["month", "-signatures"], name="signcertmonth_month_sig_idx"),
            models.Index(
                fields=["month", "agency", "-signatures"], name="signcertmonth_agency_sig_idx"
            ),
            models.Index(
                fields=["month", "-bad"], condition=Q(bad__gt=0), name="signcertmonth_bad_idx"
            ),
            models.Index(
                fields=["month", "agency", "-bad"],
                condition=Q(bad__gt=0),
                name="signcertmonth_agency_bad_idx",
            ),
            models.Index(
                fields=["month", "-signatures"],
                condition=Q(issuer_kind="public"),
                name="signcertmonth_public_idx",
            ),
            models.Index(
                fields=["month", "agency", "-signatures"],
                condition=Q(issuer_kind="public"),
                name="signcertmonth_agency_pub_idx",
            ),
            models.Index(fields=["certificate", "last_signed_at"], name="signcertmonth_cert_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.serial} {self.month:%m/%Y}: {self.signatures}"


class SigningMonthTally(models.Model):
    """A month the worker has rolled up: `settled` once the month had ended (plus a day) when
    it ran, after which it is never rolled up again (events are only appended, stamped now)."""

    month = models.DateField(_("tháng"), unique=True)
    settled = models.BooleanField(_("đã chốt"), default=False)
    computed_at = models.DateTimeField(_("tính lúc"))

    class Meta:
        verbose_name = _("tháng đã tổng hợp hoạt động ký số")
        verbose_name_plural = _("tháng đã tổng hợp hoạt động ký số")

    def __str__(self) -> str:
        return f"{self.month:%m/%Y}"


class IdleCertificate(models.Model):
    """A valid certificate that has signed nothing for IDLE_DAYS (issued at least that long
    ago): revoke it or recover its device (docs/architecture.md §13). Rewritten daily by the
    worker."""

    certificate = models.OneToOneField(
        "certificates.Certificate",
        verbose_name=_("chứng thư"),
        on_delete=models.CASCADE,
        related_name="idle",
    )
    agency = models.ForeignKey(
        "agencies.Organization",
        verbose_name=_("cơ quan"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    last_signed_at = models.DateTimeField(_("ký lần cuối"), null=True, blank=True)
    computed_at = models.DateTimeField(_("tính lúc"))

    objects = AgencyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("chứng thư không sử dụng")
        verbose_name_plural = _("chứng thư không sử dụng")
        indexes = [
            # The page's list, the longest idle first, nationwide and within a scope.
            models.Index(fields=["last_signed_at", "certificate"], name="idlecert_last_idx"),
            models.Index(
                fields=["agency", "last_signed_at", "certificate"], name="idlecert_agency_idx"
            ),
        ]

    def __str__(self) -> str:
        return str(self.certificate_id)


class IdleCertificateCount(models.Model):
    """How many certificates of an agency are idle: written with the list, so the page adds up
    a few hundred rows instead of counting hundreds of thousands (docs/architecture.md §13)."""

    agency = models.OneToOneField(
        "agencies.Organization",
        verbose_name=_("cơ quan"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    n = models.PositiveIntegerField(_("số chứng thư không sử dụng"))
    computed_at = models.DateTimeField(_("tính lúc"))

    objects = AgencyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("số chứng thư không sử dụng của cơ quan")
        verbose_name_plural = _("số chứng thư không sử dụng theo cơ quan")

    def __str__(self) -> str:
        return f"{self.agency_id}: {self.n}"


class SigningAlert(models.Model):
    """A certificate signing far above its usual rate, or at night, on one local day: one per
    certificate and day (the constraint), its Sở KH&CN told once."""

    class Reason(models.TextChoices):
        RATE = "rate", _("Ký nhiều bất thường")
        NIGHT = "night", _("Ký ban đêm (22:00–06:00)")

    day = models.DateField(_("ngày"))
    serial = models.CharField(_("số hiệu chứng thư"), max_length=40)
    certificate = models.ForeignKey(
        "certificates.Certificate",
        verbose_name=_("chứng thư"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signing_alerts",
    )
    agency = models.ForeignKey(
        "agencies.Organization",
        verbose_name=_("cơ quan"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.CharField(_("lý do"), max_length=8, choices=Reason.choices)
    signatures = models.PositiveIntegerField(_("chữ ký trong ngày"))
    threshold = models.PositiveIntegerField(_("ngưỡng"))
    created_at = models.DateTimeField(_("phát hiện lúc"), auto_now_add=True)

    objects = AgencyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("cảnh báo ký số bất thường")
        verbose_name_plural = _("cảnh báo ký số bất thường")
        ordering = ["-day", "-pk"]
        indexes = [models.Index(fields=["agency", "day"], name="signalert_agency_day_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["serial", "day"],
                name="dashboard_signing_alert_one_per_day",
                violation_error_message=_("Chứng thư này đã có cảnh báo trong ngày."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.serial} {self.day:%d/%m/%Y} {self.reason}"
