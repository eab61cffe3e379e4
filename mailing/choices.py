"""The states of an outgoing e-mail (docs/mail.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MailStatus(models.TextChoices):
    PENDING = "pending", _("Đang chờ gửi")
    SENT = "sent", _("Đã gửi")
    # the mail server refused it for good (a 5xx reply), or every attempt failed
    FAILED = "failed", _("Không gửi được")
    # accepted, then returned by the recipient's server (a delivery status notification)
    BOUNCED = "bounced", _("Bị trả lại")


class MailPurpose(models.TextChoices):
    LETTER_ISSUED = "letter.issued", _("Văn bản đã ký ban hành")
    DEVICE_DOCUMENT_SENT = "device_document.sent", _("Thông báo, biên bản thiết bị đã ký gửi")
