"""The documents of a device's life: Mẫu 07 handover notice, Mẫu 08 return minutes, Mẫu 09
loss minutes. They keep snapshots of what was true when they were made."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from devices.choices import (
    DeviceCondition,
    ReceiverKind,
    ReturnReason,
)
from devices.models.device import Device
from devices.querysets import (
    HandoverNoticeQuerySet,
    LossReportQuerySet,
    ReturnMinutesQuerySet,
)


class HandoverNotice(models.Model):
    """Mẫu 07: the clerk records the hand-over and prepares the notice; it goes to the CA when
    the agency head signs it (`sent_at`, paperwork/desk.py)."""

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
        # The Mẫu 07 list's order (sent, newest first), walked by its cursor (§12.2).
        indexes = [models.Index(fields=["sent_at", "id"], name="handover_list_idx")]
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
    # The agency head signed it (head + seal) and it went to the receiving side.
    sent_at = models.DateTimeField(_("bên giao ký gửi lúc"), null=True, blank=True)
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
        # The Mẫu 08 list's order (waiting first, then newest), walked by its cursor (§12.2).
        indexes = [models.Index(fields=["confirmed_at", "held_at", "id"], name="minutes_list_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "number"],
                name="return_minutes_number_unique",
                violation_error_message=_("Số biên bản này đã được dùng."),
            ),
        ]

    def __str__(self) -> str:
        return _("Biên bản Mẫu 08 số %(number)s") % {"number": self.number}


class ReturnMinutesItem(models.Model):
    minutes = models.ForeignKey(ReturnMinutes, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(_("STT"))
    device = models.ForeignKey(
        Device, verbose_name=_("thiết bị"), on_delete=models.PROTECT, related_name="returns"
    )
    obligation = models.ForeignKey(
        "devices.ReturnObligation", on_delete=models.PROTECT, related_name="minutes_items"
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
    """Mẫu 09: minutes confirming that a device was lost, sent to the CA as soon as the agency
    head signs them (`sent_at`); the measure
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
    # The agency's representative present at the minutes (its head or someone they name).
    representative_name = models.CharField(_("đại diện cơ quan"), max_length=128, blank=True)
    representative_position = models.CharField(
        _("chức vụ người đại diện"), max_length=128, blank=True
    )
    lost_on = models.DateField(_("ngày thất lạc"))
    # When in the day it was lost; empty on minutes made before the portal asked for it.
    lost_time = models.TimeField(_("giờ thất lạc"), null=True, blank=True)
    lost_place = models.CharField(_("nơi thất lạc"), max_length=255)
    circumstances = models.TextField(_("hoàn cảnh thất lạc"), max_length=2000)
    measures = models.TextField(_("biện pháp đã thực hiện"), max_length=2000, blank=True)
    # The Mẫu 05 letter drafted for the revocation. requests_app sits above devices
    # (docs/architecture.md §1), so this is its id, not a foreign key.
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
    # The agency head signed it (head + seal) and it went to the CA.
    sent_at = models.DateTimeField(_("gửi CA lúc"), null=True, blank=True)

    objects = LossReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("biên bản xác nhận thất lạc thiết bị (Mẫu 09)")
        verbose_name_plural = _("biên bản xác nhận thất lạc thiết bị (Mẫu 09)")
        ordering = ["-created_at", "-pk"]
        # The Mẫu 09 list's order (newest first), walked by its cursor (§12.2).
        indexes = [models.Index(fields=["held_at", "id"], name="loss_list_idx")]
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
