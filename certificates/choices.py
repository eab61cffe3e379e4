from django.db import models
from django.utils.translation import gettext_lazy as _


class SubjectKind(models.TextChoices):
    PERSON = "person", _("Cá nhân")
    ORGANIZATION = "organization", _("Cơ quan, tổ chức")
    DEVICE_SERVICE = "device_service", _("Thiết bị, dịch vụ, phần mềm")


class CertStatus(models.TextChoices):
    VALID = "valid", _("Còn hiệu lực")
    EXPIRED = "expired", _("Hết hạn")
    REVOKED = "revoked", _("Đã thu hồi")
