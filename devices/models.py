"""Key-storage devices, their custody chain, and the documents of their life (DOMAIN §3–§4):
the Mẫu 07 handover notice, the Mẫu 08 return minutes with the return obligation behind them,
and the Mẫu 09 loss minutes.

Documents keep snapshots (subscriber's name, certificate serial) of what was true when they
were made: a later renaming must not rewrite a signed paper.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from agencies.validators import mobile_validator, nfc
from devices.choices import (
    Carrier,
    DeviceCondition,
    DeviceKind,
    DeviceStatus,
    ReceiverKind,
    ReturnReason,
)
from devices.querysets import (
    DeviceQuerySet,
    HandoverNoticeQuerySet,
    LossReportQuerySet,
    ReturnMinutesQuerySet,
    ReturnObligationQuerySet,
)

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


class Device(models.Model):
    """A key-storage device: its current state here, its history in `custody`."""

    kind = models.CharField(_("loại thiết bị"), max_length=16, choices=DeviceKind.choices)
    serial = models.CharField(_("số hiệu thiết bị"), max_length=32)
    iccid = models.CharField(_("ICCID"), max_length=20, blank=True, validators=[iccid_validator])
    phone = models.CharField(
        _("số điện thoại ký số"), max_length=10, blank=True, validators=[mobile_validator]
    )
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


# --- Mẫu 07: notice to the CA that devices were handed to their subscribers -----------------
class HandoverNotice(models.Model):
    """Mẫu 07, sent to the CA at once after the agency hands devices to subscribers."""

    agency = models.ForeignKey(
        "agencies.Organization",
        verbose_name=_("cơ quan thông báo"),
        on_delete=models.PROTECT,
        related_name="handover_notices",
    )
    number = models.CharField(_("số thông báo"), max_length=64)
    issued_on = models.DateField(_("ngày thông báo"))
    handed_on = models.DateField(_("ngày bàn giao"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người lập"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("lập lúc"), auto_now_add=True)
    sent_at = models.DateTimeField(_("gửi CA lúc"), null=True, blank=True)

    objects = HandoverNoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("thông báo bàn giao thiết bị (Mẫu 07)")
        verbose_name_plural = _("thông báo bàn giao thiết bị (Mẫu 07)")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "number"],
                name="handover_notice_number_unique",
                violation_error_message=_("Số thông báo này đã được dùng."),
            ),
        ]

    def __str__(self) -> str:
        return _("Thông báo Mẫu 07 số %(number)s") % {"number": self.number}


class HandoverItem(models.Model):
    notice = models.ForeignKey(HandoverNotice, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(_("STT"))
    device = models.ForeignKey(
        Device, verbose_name=_("thiết bị"), on_delete=models.PROTECT, related_name="handovers"
    )
    person = models.ForeignKey(
        "agencies.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subscriber_name = models.CharField(_("thuê bao"), max_length=255)
    certificate_serial = models.CharField(_("số hiệu chứng thư"), max_length=40, blank=True)
    acknowledged = models.BooleanField(_("thuê bao đã ký nhận"), default=False)

    class Meta:
        verbose_name = _("dòng thông báo Mẫu 07")
        verbose_name_plural = _("dòng thông báo Mẫu 07")
        ordering = ["notice", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "device"],
                name="handover_item_device_once",
                violation_error_message=_("Thiết bị đã có trong thông báo này."),
            ),
            models.CheckConstraint(
                condition=Q(acknowledged=True),
                name="handover_item_acknowledged",
                violation_error_message=_("Thuê bao phải ký nhận thiết bị."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.notice_id}/{self.position}"


# --- the obligation to give a device back, and Mẫu 08 --------------------------------------
class ReturnMinutes(models.Model):
    """Mẫu 08: minutes of the agency handing devices back to the CA (or its provincial
    point) after their certificates expired or were revoked; several devices per minutes.
    The receiving side confirms receipt, which closes the devices' return obligations."""

    agency = models.ForeignKey(
        "agencies.Organization",
        verbose_name=_("bên giao"),
        on_delete=models.PROTECT,
        related_name="return_minutes",
    )
    number = models.CharField(_("số biên bản"), max_length=64)
    held_at = models.DateTimeField(_("thời gian"))
    place = models.CharField(_("địa điểm"), max_length=255)
    receiver_kind = models.CharField(
        _("bên nhận"), max_length=16, choices=ReceiverKind.choices, default=ReceiverKind.CA
    )
    receiver = models.ForeignKey(
        "agencies.Organization",
        verbose_name=_("cơ quan nhận"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    agency_representative = models.CharField(_("đại diện bên giao"), max_length=128)
    agency_representative_title = models.CharField(_("chức vụ"), max_length=128, blank=True)
    receiver_representative = models.CharField(_("đại diện bên nhận"), max_length=128, blank=True)
    receiver_representative_title = models.CharField(_("chức vụ"), max_length=128, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người lập"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("lập lúc"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("bên nhận xác nhận lúc"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người xác nhận"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ReturnMinutesQuerySet.as_manager()

    class Meta:
        verbose_name = _("biên bản giao nhận thiết bị (Mẫu 08)")
        verbose_name_plural = _("biên bản giao nhận thiết bị (Mẫu 08)")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "number"],
                name="return_minutes_number_unique",
                violation_error_message=_("Số biên bản này đã được dùng."),
            ),
        ]

    def __str__(self) -> str:
        return _("Biên bản Mẫu 08 số %(number)s") % {"number": self.number}


class ReturnObligation(models.Model):
    """A device that must go back to the CA within N working days of the revocation (or
    expiry) notice (seed 002: 5 working days). Open until the receiving side confirms it."""

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
        ReturnMinutes,
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
            models.Index(
                fields=["due_on"], condition=Q(closed_at__isnull=True), name="return_open_due_idx"
            ),
        ]

    def __str__(self) -> str:
        return _("Thu hồi %(device)s trước %(due)s") % {
            "device": self.device_id,
            "due": self.due_on.strftime("%d/%m/%Y"),
        }


class ReturnMinutesItem(models.Model):
    minutes = models.ForeignKey(ReturnMinutes, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(_("STT"))
    device = models.ForeignKey(
        Device, verbose_name=_("thiết bị"), on_delete=models.PROTECT, related_name="returns"
    )
    obligation = models.ForeignKey(
        ReturnObligation, on_delete=models.PROTECT, related_name="minutes_items"
    )
    subscriber_name = models.CharField(_("thuê bao"), max_length=255, blank=True)
    certificate_serial = models.CharField(_("số hiệu chứng thư"), max_length=40, blank=True)
    reason = models.CharField(_("lý do"), max_length=16, choices=ReturnReason.choices)
    condition = models.CharField(
        _("tình trạng"),
        max_length=16,
        choices=DeviceCondition.choices,
        default=DeviceCondition.GOOD,
    )
    # True until the receiving side confirms: a device is in one unconfirmed minutes at most.
    is_open = models.BooleanField(default=True, editable=False)

    class Meta:
        verbose_name = _("dòng biên bản Mẫu 08")
        verbose_name_plural = _("dòng biên bản Mẫu 08")
        ordering = ["minutes", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["device"],
                condition=Q(is_open=True),
                name="return_item_one_open_per_device",
                violation_error_message=_("Thiết bị này đã có trong một biên bản chờ xác nhận."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.minutes_id}/{self.position}"


# --- Mẫu 09: a lost device ------------------------------------------------------------------
class LossReport(models.Model):
    """Mẫu 09: minutes confirming that a device was lost, sent to the CA at once; the measure
    taken is a Mẫu 05 revocation with reason "device lost" (drafted by the loss page)."""

    device = models.ForeignKey(
        Device, verbose_name=_("thiết bị"), on_delete=models.PROTECT, related_name="loss_reports"
    )
    agency = models.ForeignKey(
        "agencies.Organization",
        verbose_name=_("cơ quan quản lý"),
        on_delete=models.PROTECT,
        related_name="loss_reports",
    )
    person = models.ForeignKey(
        "agencies.Person",
        verbose_name=_("thuê bao"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    subscriber_name = models.CharField(_("thuê bao"), max_length=255, blank=True)
    subscriber_position = models.CharField(_("chức vụ"), max_length=128, blank=True)
    certificate_serial = models.CharField(_("số hiệu chứng thư"), max_length=40, blank=True)
    number = models.CharField(_("số biên bản"), max_length=64)
    held_at = models.DateTimeField(_("lập lúc"))
    held_place = models.CharField(_("nơi lập biên bản"), max_length=255)
    lost_on = models.DateField(_("ngày thất lạc"))
    lost_place = models.CharField(_("nơi thất lạc"), max_length=255)
    circumstances = models.TextField(_("hoàn cảnh thất lạc"), max_length=2000)
    measures = models.TextField(_("biện pháp đã thực hiện"), max_length=2000, blank=True)
    # The Mẫu 05 letter drafted for the revocation. requests_app sits above devices (DESIGN
    # §1), so this is its id, not a foreign key.
    revocation_request_id = models.PositiveIntegerField(
        _("văn bản đề nghị thu hồi"), null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người lập"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LossReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("biên bản xác nhận thất lạc thiết bị (Mẫu 09)")
        verbose_name_plural = _("biên bản xác nhận thất lạc thiết bị (Mẫu 09)")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "number"],
                name="loss_report_number_unique",
                violation_error_message=_("Số biên bản này đã được dùng."),
            ),
            models.CheckConstraint(
                condition=~Q(circumstances="") & ~Q(lost_place=""),
                name="loss_report_says_where_and_how",
                violation_error_message=_("Biên bản phải ghi rõ nơi và hoàn cảnh thất lạc."),
            ),
        ]

    def __str__(self) -> str:
        return _("Biên bản Mẫu 09 số %(number)s") % {"number": self.number}
