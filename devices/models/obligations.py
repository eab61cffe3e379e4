"""The obligation to hand a device back after its certificate was revoked (docs/domain.md §4)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from devices.choices import (
    ReturnReason,
)
from devices.models.device import Device
from devices.querysets import (
    ReturnObligationQuerySet,
)
from portal.lib.labels import ChoiceLabels


class ReturnObligation(ChoiceLabels, models.Model):
    """A device that must go back to the CA within N working days of the revocation (or
    expiry) notice (docs/domain.md §4.3: 5 working days). Open until the receiving side confirms
    it."""

    device = models.ForeignKey(
        Device,
        verbose_name=_("thiết bị"),
        on_delete=models.PROTECT,
        related_name="return_obligations",
    )
    agency = models.ForeignKey(
        "agencies.Organization",
        verbose_name=_("cơ quan phải thu hồi"),
        on_delete=models.PROTECT,
        related_name="return_obligations",
    )
    person = models.ForeignKey(
        "agencies.Person",
        verbose_name=_("thuê bao"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    certificate_serial = models.CharField(_("số hiệu chứng thư"), max_length=40, blank=True)
    reason = models.CharField(_("lý do"), max_length=16, choices=ReturnReason.choices)
    notified_on = models.DateField(_("ngày thông báo"))
    due_on = models.DateField(_("hạn bàn giao"))
    opened_at = models.DateTimeField(_("mở lúc"), auto_now_add=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    minutes = models.ForeignKey(
        "devices.ReturnMinutes",
        verbose_name=_("biên bản Mẫu 08"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="obligations",
    )
    handed_over_on = models.DateField(_("ngày bàn giao"), null=True, blank=True)
    closed_at = models.DateTimeField(_("đóng lúc"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    close_note = models.CharField(_("ghi chú khi đóng"), max_length=255, blank=True)
    overdue_notified_at = models.DateTimeField(_("đã báo quá hạn lúc"), null=True, blank=True)

    objects = ReturnObligationQuerySet.as_manager()

    class Meta:
        verbose_name = _("nghĩa vụ thu hồi thiết bị")
        verbose_name_plural = _("nghĩa vụ thu hồi thiết bị")
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["device"],
                condition=Q(closed_at__isnull=True),
                name="return_one_open_obligation_per_device",
                violation_error_message=_("Thiết bị này đang có một nghĩa vụ thu hồi chưa xong."),
            ),
            models.CheckConstraint(
                condition=Q(due_on__gte=F("notified_on")),
                name="return_due_after_notice",
                violation_error_message=_("Hạn bàn giao không thể trước ngày thông báo."),
            ),
        ]
        indexes = [
            # Open obligations by deadline: the sweeps, and the returns list's default walk
            # (due_on, id) by its cursor (docs/scale.md §12.2).
            models.Index(
                fields=["due_on", "id"],
                condition=Q(closed_at__isnull=True),
                name="return_open_due_idx",
            ),
            # The returns list with closed obligations shown: open first, then newest closed.
            models.Index(fields=["-closed_at", "due_on", "id"], name="return_list_idx"),
        ]

    def __str__(self) -> str:
        return _("Thu hồi %(device)s trước %(due)s") % {
            "device": self.device_id,
            "due": self.due_on.strftime("%d/%m/%Y"),
        }
