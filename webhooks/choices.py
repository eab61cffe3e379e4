"""What other systems may subscribe to (docs/webhooks.md): the type names are the API, stable
and in English; the labels are for the admin."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    LETTER_SUBMITTED = "letter.submitted", _("Văn bản được trình lãnh đạo ký")
    LETTER_FORWARDED = "letter.forwarded", _("Văn bản được chuyển Cục CTS&BMTT")
    LETTER_RETURNED = "letter.returned", _("Văn bản bị trả lại để sửa")
    LETTER_PROCESSED = "letter.processed", _("Văn bản đã xử lý xong")
    CERTIFICATE_ISSUED = "certificate.issued", _("Chứng thư số được cấp")
    CERTIFICATE_REVOKED = "certificate.revoked", _("Chứng thư số bị thu hồi")
    CERTIFICATE_EXPIRING = "certificate.expiring", _("Chứng thư số sắp hết hạn")
    DEVICE_RETURN_DUE = "device.return_due", _("Thiết bị đến hạn phải bàn giao lại")
    DEVICE_RETURN_OVERDUE = "device.return_overdue", _("Thiết bị đã quá hạn bàn giao lại")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Đang chờ gửi")
    DELIVERED = "delivered", _("Đã gửi")
    DEAD = "dead", _("Thất bại (danh sách hỏng)")
