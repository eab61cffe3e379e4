"""A device's PKCS#11 token: where its subscriber's key pair is generated and stays
(docs/ca.md, "Subscribers' tokens").

The row knows the token by its serial number (labels repeat: the label is the device serial,
and a wiped token keeps its serial), the key pair's CKA_ID and public key, and the state of the
token in its life: keyed ahead in stock, personalised (certificate on it), wiped on its return,
retired when the device is lost. No private key and no PIN in clear is ever stored: the user
PIN waits, sealed with PORTAL_TOKEN_PIN_KEY, until the CA operator opens its envelope at the
handover, and the security-officer PIN is derived from the serial when needed.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from devices.choices import TokenState
from devices.models.device import Device


class DeviceToken(models.Model):
    device = models.OneToOneField(
        Device,
        verbose_name=_("thiết bị"),
        on_delete=models.PROTECT,
        related_name="token",
    )
    serial = models.CharField(_("số hiệu token PKCS#11"), max_length=32)
    state = models.CharField(
        _("trạng thái token"), max_length=16, choices=TokenState.choices, db_index=True
    )
    key_algorithm = models.CharField(_("thuật toán khóa"), max_length=16)
    # CKA_ID of the key pair (hex) and its public key (SubjectPublicKeyInfo DER); empty once
    # the token is wiped.
    key_id = models.CharField(_("định danh khóa trên token (CKA_ID)"), max_length=64, blank=True)
    public_key_der = models.BinaryField(blank=True, default=b"", editable=False)
    # The user PIN sealed (Fernet, PORTAL_TOKEN_PIN_KEY) until its envelope is opened once.
    pin_envelope = models.BinaryField(blank=True, default=b"", editable=False)
    pin_set_at = models.DateTimeField(_("đặt mã PIN lúc"), null=True, blank=True)
    pin_revealed_at = models.DateTimeField(_("đã mở phong bì PIN lúc"), null=True, blank=True)
    # A demo device (`make run`): its user PIN is the documented demo PIN, never a secret.
    is_demo = models.BooleanField(_("thiết bị trình diễn"), default=False)
    keyed_at = models.DateTimeField(_("sinh khóa lúc"), null=True, blank=True)
    personalised_at = models.DateTimeField(_("cá thể hóa lúc"), null=True, blank=True)
    wiped_at = models.DateTimeField(_("xóa trắng lúc"), null=True, blank=True)
    retired_at = models.DateTimeField(_("ngừng sử dụng lúc"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("token PKCS#11 của thiết bị")
        verbose_name_plural = _("token PKCS#11 của thiết bị")
        constraints = [
            # A token is one physical object: its serial is never given to another row, and a
            # retired token's row stays (PROTECT), so its serial can never come back.
            models.UniqueConstraint(
                fields=["serial"],
                name="devicetoken_serial_unique",
                violation_error_message=_("Token PKCS#11 này đã gắn với một thiết bị."),
            ),
            models.CheckConstraint(
                condition=~Q(state=TokenState.RETIRED)
                | (Q(retired_at__isnull=False) & Q(pin_envelope=b"")),
                name="devicetoken_retired_is_closed",
                violation_error_message=_(
                    "Token đã ngừng sử dụng không được cá thể hóa hay giữ mã PIN nữa."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(state__in=[TokenState.STOCK_KEYED, TokenState.PERSONALISED])
                | ~Q(key_id=""),
                name="devicetoken_keyed_has_key",
                violation_error_message=_("Token đã sinh khóa phải có định danh khóa."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.device.serial} ({self.serial})"

    @property
    def key_id_bytes(self) -> bytes:
        return bytes.fromhex(self.key_id)
