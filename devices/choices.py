from django.db import models
from django.utils.translation import gettext_lazy as _


class DeviceKind(models.TextChoices):
    USB_TOKEN = "usb_token", _("USB Token")
    SIM_PKI = "sim_pki", _("SIM PKI")
    SD_SECURE = "sd_secure", _("SD Secure")
    SOFT = "soft", _("Phần mềm (SOFT)")
    RSSP = "rssp", _("Ký số tập trung (RSSP)")
    HSM = "hsm", _("HSM")


class Carrier(models.TextChoices):
    VIETTEL = "viettel", "Viettel"
    VINAPHONE = "vinaphone", "Vinaphone"
    MOBIFONE = "mobifone", "Mobifone"


class DeviceStatus(models.TextChoices):
    IN_CA_STOCK = "in_ca_stock", _("Trong kho của CA")
    DELIVERED_TO_AGENCY = "delivered_to_agency", _("Đã giao cho cơ quan")
    HANDED_TO_SUBSCRIBER = "handed_to_subscriber", _("Đã bàn giao cho thuê bao")
    LOCKED = "locked", _("Bị khóa")
    AWAITING_RETURN = "awaiting_return", _("Chờ thu hồi")
    RETURNED_TO_AGENCY = "returned_to_agency", _("Đã thu hồi về cơ quan")
    RETURNED_TO_CA = "returned_to_ca", _("Đã bàn giao lại CA")
    LOST = "lost", _("Thất lạc")
    BROKEN = "broken", _("Hỏng")


# Kinds that are physical objects the state hands out and must get back (docs/domain.md §3).
PHYSICAL_KINDS = frozenset({DeviceKind.USB_TOKEN, DeviceKind.SIM_PKI, DeviceKind.SD_SECURE})


class ReturnReason(models.TextChoices):
    """Why a device must go back to the CA (Mẫu 08, docs/domain.md §4)."""

    REVOKED = "revoked", _("Chứng thư bị thu hồi")
    EXPIRED = "expired", _("Chứng thư hết hạn")


class ReceiverKind(models.TextChoices):
    """Who receives a returned device: the CA itself or its provincial point."""

    CA = "ca", _("Cục Chứng thực số và Bảo mật thông tin")
    PROVINCE = "province", _("Điểm tiếp nhận tại tỉnh (Sở Khoa học và Công nghệ)")


class DeviceCondition(models.TextChoices):
    """The state a returned device is handed back in (a column of Mẫu 08)."""

    GOOD = "good", _("Còn nguyên vẹn")
    LOCKED = "locked", _("Nguyên vẹn, đang bị khóa")
    DAMAGED = "damaged", _("Hư hỏng")


class CredentialState(models.TextChoices):
    """A remote-signing credential's key in the CA's HSM (docs/remote-signing.md)."""

    ISSUED = "issued", _("Đã sinh khóa và cấp chứng thư")
    DESTROYED = "destroyed", _("Đã hủy khóa")


class TokenState(models.TextChoices):
    """A device's PKCS#11 token (docs/ca.md, "Subscribers' tokens")."""

    STOCK_KEYED = "stock_keyed", _("Đã sinh khóa sẵn (trong kho)")
    PERSONALISED = "personalised", _("Đã cá thể hóa")
    WIPED = "wiped", _("Đã xóa trắng")
    RETIRED = "retired", _("Ngừng sử dụng")
