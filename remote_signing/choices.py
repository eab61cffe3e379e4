from django.db import models
from django.utils.translation import gettext_lazy as _


class ControlState(models.TextChoices):
    """Sole control of a remote-signing credential (docs/remote-signing.md)."""

    AWAITING_ACTIVATION = "awaiting", _("Chờ kích hoạt")
    ACTIVE = "active", _("Đang dùng")
    LOCKED = "locked", _("Bị khóa")


class MobileState(models.TextChoices):
    """A mobile signature at the carrier's gateway (docs/remote-signing.md, "SIM PKI"), with
    the status code ETSI TS 102 204 answers for it."""

    OUTSTANDING = "outstanding", _("Chờ người ký trả lời")
    SIGNED = "signed", _("Đã ký")
    CANCELLED = "cancelled", _("Người ký từ chối")
    EXPIRED = "expired", _("Hết hạn")
    PIN_BLOCKED = "pin_blocked", _("SIM bị khóa mã PIN")
