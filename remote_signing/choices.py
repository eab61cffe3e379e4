from django.db import models
from django.utils.translation import gettext_lazy as _


class ControlState(models.TextChoices):
    """Sole control of a remote-signing credential (docs/remote-signing.md)."""

    AWAITING_ACTIVATION = "awaiting", _("Chờ kích hoạt")
    ACTIVE = "active", _("Đang dùng")
    LOCKED = "locked", _("Bị khóa")
