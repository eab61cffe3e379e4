from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from devices.choices import Carrier, DeviceKind, DeviceStatus
from devices.querysets import DeviceQuerySet

usb_serial_validator = RegexValidator(
    r"^[A-Za-z0-9]{8,10}$",
    _("Số hiệu USB Token gồm 8 đến 10 chữ cái hoặc chữ số."),
    code="usb_serial",
)
iccid_validator = RegexValidator(
    r"^89\d{16,18}$", _("ICCID gồm 18 đến 20 chữ số, bắt đầu bằng 89."), code="iccid"
)


class Device(models.Model):
    """A key-storage device. Its custody chain and the Mẫu 07–09 documents come with issue 5."""

    kind = models.CharField(_("loại thiết bị"), max_length=16, choices=DeviceKind.choices)
    serial = models.CharField(_("số hiệu thiết bị"), max_length=32)
    iccid = models.CharField(_("ICCID"), max_length=20, blank=True, validators=[iccid_validator])
    phone = models.CharField(_("số điện thoại ký số"), max_length=10, blank=True)
    carrier = models.CharField(_("nhà mạng"), max_length=16, choices=Carrier.choices, blank=True)
    status = models.CharField(
        _("trạng thái"),
        max_length=24,
        choices=DeviceStatus.choices,
        default=DeviceStatus.IN_CA_STOCK,
        db_index=True,
    )
    agency = models.ForeignKey(
        "agencies.Organization",
        verbose_name=_("cơ quan quản lý"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="devices",
    )
    holder = models.ForeignKey(
        "agencies.Person",
        verbose_name=_("người giữ"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="devices",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DeviceQuerySet.as_manager()

    class Meta:
        verbose_name = _("thiết bị lưu khóa bí mật")
        verbose_name_plural = _("thiết bị lưu khóa bí mật")
        ordering = ["kind", "serial"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "serial"],
                name="device_serial_unique",
                violation_error_message=_("Số hiệu thiết bị này đã có trong hệ thống."),
            ),
            models.CheckConstraint(
                condition=~Q(kind=DeviceKind.SIM_PKI)
                | (~Q(iccid="") & ~Q(phone="") & ~Q(carrier="")),
                name="device_sim_has_iccid_phone_carrier",
                violation_error_message=_("SIM PKI phải có ICCID, số điện thoại và nhà mạng."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.serial}"

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.kind == DeviceKind.USB_TOKEN:
            try:
                usb_serial_validator(self.serial)
            except ValidationError as exc:
                raise ValidationError({"serial": exc.messages}) from None


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
