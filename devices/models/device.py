"""A key-storage device and the checks on its serial (docs/domain.md §3)."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agencies.validators import mobile_validator, nfc
from devices.choices import (
    Carrier,
    DeviceKind,
    DeviceStatus,
)
from devices.querysets import (
    DeviceQuerySet,
)
from portal.field_crypto import BlindIndexField, EncryptedCharField
from portal.lib.labels import ChoiceLabels

usb_serial_validator = RegexValidator(
    r"^[A-Za-z0-9]{8,10}$",
    _("Số hiệu USB Token gồm 8 đến 10 chữ cái hoặc chữ số."),
    code="usb_serial",
)
iccid_validator = RegexValidator(
    r"^89\d{16,18}$", _("ICCID gồm 18 đến 20 chữ số, bắt đầu bằng 89."), code="iccid"
)
# SD Secure, software, remote signing and HSM: the CA's own numbering, letters, digits, . _ / -
generic_serial_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._/-]{3,31}$",
    _("Số hiệu thiết bị gồm 4 đến 32 ký tự: chữ cái, chữ số, dấu chấm, gạch dưới, gạch chéo."),
    code="device_serial",
)


class Device(ChoiceLabels, models.Model):
    """A key-storage device: its current state here, its history in `custody`."""

    kind = models.CharField(_("loại thiết bị"), max_length=16, choices=DeviceKind.choices)
    serial = models.CharField(_("số hiệu thiết bị"), max_length=32)
    iccid = models.CharField(_("ICCID"), max_length=20, blank=True, validators=[iccid_validator])
    # The SIM's number is its holder's mobile: encrypted at rest, found by its blind index
    # (docs/privacy-at-rest.md).
    phone = EncryptedCharField(
        _("số điện thoại ký số"),
        max_length=10,
        blank=True,
        validators=[mobile_validator],
        blind_index="phone_index",
    )
    phone_index = BlindIndexField()
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
        verbose_name=_("thuê bao"),
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
        indexes = [
            # Taking devices from the CA's stock, oldest first (devices/services/delivery.py,
            # custody.py): without it, the first free token of a kind was found by walking the
            # primary key past every device delivered (docs/scale.md §12.3).
            models.Index(
                fields=["kind", "id"],
                name="device_in_ca_stock_idx",
                condition=Q(status=DeviceStatus.IN_CA_STOCK),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.serial}"

    def clean_fields(self, exclude=None):
        # A SIM PKI is known by its ICCID: fill the serial before "required" is checked.
        if self.kind == DeviceKind.SIM_PKI and not self.serial and self.iccid:
            self.serial = nfc(self.iccid)
        super().clean_fields(exclude=exclude)

    def clean(self):
        """USB Token: an 8–10 character serial; SIM PKI: ICCID, phone number and carrier
        (its serial is its ICCID when none is given); other kinds: the generic serial rule."""
        self.serial = nfc(self.serial or "").upper()
        self.iccid = nfc(self.iccid or "")
        self.phone = nfc(self.phone or "")
        errors: dict[str, list] = {}
        if self.kind == DeviceKind.SIM_PKI:
            if not self.serial and self.iccid:
                self.serial = self.iccid
            for name, message in (
                ("iccid", _("SIM PKI phải có ICCID.")),
                ("phone", _("SIM PKI phải có số điện thoại ký số.")),
                ("carrier", _("SIM PKI phải có nhà mạng (Viettel, Vinaphone, Mobifone).")),
            ):
                if not getattr(self, name):
                    errors.setdefault(name, []).append(message)
        else:
            for name in ("iccid", "phone", "carrier"):
                if getattr(self, name):
                    errors.setdefault(name, []).append(
                        _("Chỉ SIM PKI có ICCID, số điện thoại ký số và nhà mạng.")
                    )
        validator = {
            DeviceKind.USB_TOKEN: usb_serial_validator,
            DeviceKind.SIM_PKI: None,
        }.get(self.kind, generic_serial_validator)
        if not self.serial:
            errors.setdefault("serial", []).append(_("Hãy nhập số hiệu thiết bị."))
        elif validator is not None:
            try:
                validator(self.serial)
            except ValidationError as exc:
                errors.setdefault("serial", []).extend(exc.messages)
        if errors:
            raise ValidationError(errors)

    @property
    def is_physical(self) -> bool:
        return self.kind in (DeviceKind.USB_TOKEN, DeviceKind.SIM_PKI, DeviceKind.SD_SECURE)
