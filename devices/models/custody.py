"""The append-only custody chain of a device: who held it, from when, on which document."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from devices.choices import (
    DeviceStatus,
)
from devices.models.device import Device
from devices.querysets import CustodyRecordQuerySet


class CustodyRecord(models.Model):
    """Append-only custody chain: who held the device, from when, handed by whom, on which
    document. The open record (held_until is null) is the current holder; the database allows
    one open record per device."""

    class HolderKind(models.TextChoices):
        CA = "ca", _("Tổ chức chứng thực (CA)")
        AGENCY = "agency", _("Cơ quan quản lý trực tiếp")
        SUBSCRIBER = "subscriber", _("Thuê bao")
        NOBODY = "nobody", _("Không ai (thất lạc, hỏng)")

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="custody")
    status = models.CharField(_("trạng thái"), max_length=24, choices=DeviceStatus.choices)
    holder_kind = models.CharField(_("bên giữ"), max_length=16, choices=HolderKind.choices)
    agency = models.ForeignKey(
        "agencies.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        "agencies.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    held_from = models.DateTimeField(_("từ lúc"))
    held_until = models.DateTimeField(_("đến lúc"), null=True, blank=True)
    handed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    document_ref = models.CharField(_("văn bản, biên bản"), max_length=128, blank=True)
    note = models.CharField(_("ghi chú"), max_length=500, blank=True)

    objects = CustodyRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("lịch sử quản lý thiết bị")
        verbose_name_plural = _("lịch sử quản lý thiết bị")
        ordering = ["device", "held_from", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["device"],
                condition=Q(held_until__isnull=True),
                name="custody_one_open_record_per_device",
                violation_error_message=_("Thiết bị chỉ có một bên đang giữ tại một thời điểm."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.device} · {self.get_status_display()}"


# --- Mẫu 07: notice to the CA that devices were handed to their subscribers -----------------
