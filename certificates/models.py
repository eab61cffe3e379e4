from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from certificates.choices import CertStatus, SubjectKind
from certificates.querysets import CertificateQuerySet


class Certificate(models.Model):
    """A certificate in the registry. Its X.509 life is managed by the CA backend (issue 3)."""

    serial = models.CharField(_("số hiệu chứng thư"), max_length=40, unique=True)
    subject_kind = models.CharField(_("loại thuê bao"), max_length=16, choices=SubjectKind.choices)
    common_name = models.CharField(_("tên chứng thư (CN)"), max_length=255)
    email = models.EmailField(_("thư điện tử công vụ (E)"), blank=True)
    organization_name = models.CharField(_("cơ quan cấp 1 (O)"), max_length=255, blank=True)
    organizational_units = models.CharField(_("đơn vị (OU)"), max_length=512, blank=True)
    locality = models.CharField(_("tỉnh, thành phố (L)"), max_length=128, blank=True)
    subject_dn = models.CharField(_("tên phân biệt"), max_length=1024, blank=True)
    agency = models.ForeignKey(
        "agencies.Organization",
        verbose_name=_("cơ quan quản lý trực tiếp"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    person = models.ForeignKey(
        "agencies.Person",
        verbose_name=_("cá nhân"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    subject_organization = models.ForeignKey(
        "agencies.Organization",
        verbose_name=_("tổ chức thuê bao"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="own_certificates",
    )
    device = models.ForeignKey(
        "devices.Device",
        verbose_name=_("thiết bị lưu khóa"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    not_before = models.DateTimeField(_("hiệu lực từ"))
    not_after = models.DateTimeField(_("hiệu lực đến"), db_index=True)
    status = models.CharField(
        _("trạng thái"),
        max_length=16,
        choices=CertStatus.choices,
        default=CertStatus.VALID,
        db_index=True,
    )
    renewal_count = models.PositiveSmallIntegerField(_("số lần gia hạn"), default=0)
    revoked_at = models.DateTimeField(_("thời điểm thu hồi"), null=True, blank=True)
    revocation_reason = models.CharField(_("lý do thu hồi"), max_length=48, blank=True)
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("được thay bằng"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supersedes",
    )
    der = models.BinaryField(_("chứng thư (DER)"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CertificateQuerySet.as_manager()

    class Meta:
        verbose_name = _("chứng thư chữ ký số")
        verbose_name_plural = _("chứng thư chữ ký số")
        ordering = ["-not_before"]
        indexes = [models.Index(fields=["agency", "status"], name="cert_agency_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(not_after__gt=models.F("not_before")),
                name="cert_validity_ordered",
                violation_error_message=_("Hiệu lực đến phải sau hiệu lực từ."),
            ),
            models.CheckConstraint(
                condition=~Q(status=CertStatus.REVOKED) | Q(revoked_at__isnull=False),
                name="cert_revoked_has_time",
                violation_error_message=_("Chứng thư đã thu hồi phải có thời điểm thu hồi."),
            ),
            models.CheckConstraint(
                condition=~Q(subject_kind=SubjectKind.PERSON) | Q(person__isnull=False),
                name="cert_person_subject_has_person",
                violation_error_message=_("Chứng thư cá nhân phải gắn với một cá nhân."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.common_name} ({self.serial})"
