"""Demand registration (docs/domain.md §11): a campaign asks agencies for their certificate
needs per year of a period; each agency answers with the seed 003 table, signed by its head;
a province sends its total, signed by its Sở KH&CN."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from demand.choices import MAX_PERIOD_YEARS, Category, RegistrationStatus
from demand.querysets import (
    CampaignQuerySet,
    DemandDocumentQuerySet,
    ProvinceSummaryQuerySet,
    RegistrationQuerySet,
)
from portal.documents import StoredDocument
from portal.lib.safetext import SafeJSONEncoder


class Campaign(models.Model):
    """Opened by the CA (nationwide, `province` empty) or a province's Sở KH&CN (its agencies)."""

    title = models.CharField(_("trích yếu"), max_length=255)
    reference = models.CharField(_("số công văn đề nghị"), max_length=64, blank=True)
    province = models.ForeignKey(
        "agencies.Organization",
        verbose_name=_("tỉnh, thành phố"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    owner = models.ForeignKey(
        "agencies.Organization",
        verbose_name=_("đơn vị mở đợt"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    start_year = models.PositiveSmallIntegerField(_("từ năm"))
    end_year = models.PositiveSmallIntegerField(_("đến năm"))
    due_on = models.DateField(_("hạn gửi"))
    note = models.TextField(_("nội dung đề nghị"), blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("mở lúc"), auto_now_add=True)
    closed_at = models.DateTimeField(_("kết thúc lúc"), null=True, blank=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("đợt đăng ký nhu cầu")
        verbose_name_plural = _("đợt đăng ký nhu cầu")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "start_year", "end_year"],
                condition=Q(closed_at__isnull=True),
                name="demand_one_open_campaign_per_period",
                violation_error_message=_("Đã có đợt đăng ký đang mở cho giai đoạn này."),
            ),
            models.CheckConstraint(
                condition=Q(end_year__gte=F("start_year"))
                & Q(end_year__lt=F("start_year") + MAX_PERIOD_YEARS),
                name="demand_campaign_period",
                violation_error_message=_("Giai đoạn đăng ký không hợp lệ."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def years(self) -> list[int]:
        return list(range(self.start_year, self.end_year + 1))

    @property
    def period(self) -> str:
        return f"{self.start_year}-{self.end_year}"

    @property
    def is_nationwide(self) -> bool:
        return self.province_id is None


class Registration(models.Model):
    """One agency's answer to a campaign: the table's rows are its `items`."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("đợt"), on_delete=models.PROTECT, related_name="registrations"
    )
    agency = models.ForeignKey(
        "agencies.Organization",
        verbose_name=_("cơ quan"),
        on_delete=models.PROTECT,
        related_name="demand_registrations",
    )
    status = models.CharField(
        _("trạng thái"),
        max_length=16,
        choices=RegistrationStatus.choices,
        default=RegistrationStatus.DRAFT,
    )
    number = models.CharField(_("số, ký hiệu"), max_length=64, blank=True)
    # Category -> the note of that line of the table.
    notes = models.JSONField(default=dict, blank=True, encoder=SafeJSONEncoder)
    # Raised by every save, so a signature is refused if the table changed since it was drawn.
    revision = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người ký"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        verbose_name = _("bản đăng ký nhu cầu")
        verbose_name_plural = _("bản đăng ký nhu cầu")
        ordering = ["agency__name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "agency"],
                name="demand_one_registration_per_agency",
                violation_error_message=_("Cơ quan đã có bản đăng ký trong đợt này."),
            ),
            models.CheckConstraint(
                condition=Q(status=RegistrationStatus.SENT, sent_at__isnull=False)
                | ~Q(status=RegistrationStatus.SENT),
                name="demand_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency} – {self.campaign.period}"


class RegistrationItem(models.Model):
    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="items")
    category = models.CharField(_("nội dung"), max_length=20, choices=Category.choices)
    year = models.PositiveSmallIntegerField(_("năm"))
    quantity = models.PositiveIntegerField(_("số lượng"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "category", "year"], name="demand_item_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.year}: {self.quantity}"


class ProvinceSummary(models.Model):
    """A province's total of the registrations of its agencies, signed by its Sở KH&CN and
    sent upward (to the CA for a nationwide campaign, to the People's Committee for its own).
    The totals are kept as sent, with the registrations they counted."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("đợt"), on_delete=models.PROTECT, related_name="summaries"
    )
    province = models.ForeignKey(
        "agencies.Organization",
        verbose_name=_("tỉnh, thành phố"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    number = models.CharField(_("số, ký hiệu"), max_length=64, blank=True)
    # {"<category>": {"<year>": n}} and the registrations counted.
    totals = models.JSONField(default=dict, encoder=SafeJSONEncoder)
    registration_ids = models.JSONField(default=list, encoder=SafeJSONEncoder)
    agencies_asked = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(_("gửi lúc"), auto_now_add=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người ký"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ProvinceSummaryQuerySet.as_manager()

    class Meta:
        verbose_name = _("báo cáo tổng hợp nhu cầu của tỉnh")
        verbose_name_plural = _("báo cáo tổng hợp nhu cầu của tỉnh")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "province"],
                name="demand_one_summary_per_province",
                violation_error_message=_("Tỉnh đã gửi báo cáo tổng hợp của đợt này."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.province} – {self.campaign.period}"


class DemandDocument(StoredDocument):
    """The signed PDF of a registration or of a province's summary: exactly one of them."""

    registration = models.OneToOneField(
        Registration, null=True, blank=True, on_delete=models.PROTECT, related_name="document"
    )
    summary = models.OneToOneField(
        ProvinceSummary, null=True, blank=True, on_delete=models.PROTECT, related_name="document"
    )

    objects = DemandDocumentQuerySet.as_manager()

    class Meta(StoredDocument.Meta):
        verbose_name = _("văn bản đăng ký nhu cầu")
        verbose_name_plural = _("văn bản đăng ký nhu cầu")
        constraints = [
            models.CheckConstraint(
                condition=Q(registration__isnull=False, summary__isnull=True)
                | Q(registration__isnull=True, summary__isnull=False),
                name="demand_document_of_one",
            ),
        ]
