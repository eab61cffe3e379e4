"""The rows of the registration table (the form attached to the CA's letter of seed 003,
docs/domain.md §11) and the statuses of an agency's registration."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    """One line of the table, in its order: 01, 02 (three key storages), 03."""

    ORG_USB = "org_usb", _("Chứng thư số cho cơ quan, tổ chức (USB Token)")
    PERSON_USB = "person_usb", _("Chứng thư số cho cá nhân: USB Token")
    PERSON_SIM = "person_sim", _("Chứng thư số cho cá nhân: SIM PKI")
    PERSON_SD = "person_sd", _("Chứng thư số cho cá nhân: SD Secure")
    DEVICE_SERVICE = "device_service", _("Chứng thư số cho thiết bị, dịch vụ, phần mềm")


class RegistrationStatus(models.TextChoices):
    DRAFT = "draft", _("Đang soạn")
    AWAITING_HEAD = "awaiting_head", _("Chờ lãnh đạo ký")
    SENT = "sent", _("Đã ký, gửi")


# A period is at most this many years (the seed's is five).
MAX_PERIOD_YEARS = 10
# The largest number a cell accepts: more than every certificate the country holds.
MAX_QUANTITY = 1_000_000
