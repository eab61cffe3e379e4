"""A remote-signing credential (docs/remote-signing.md): the key pair of a device of kind RSSP,
generated inside the CA's HSM slot for subscriber keys and used only there.

The row knows the key by its credential id, which is the key objects' CKA_ID (hex) and
CKA_LABEL on the slot, and keeps the public key. No private key and no PIN is ever stored; the
slot's PIN is a setting of the CA (RSSP_HSM_PIN). A revoked credential's key objects are
destroyed and the row stays, so its id never comes back.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from devices.choices import CredentialState
from devices.models.device import Device
from devices.querysets import RemoteCredentialQuerySet


class RemoteCredential(models.Model):
    device = models.OneToOneField(
        Device,
        verbose_name=_("thiết bị"),
        on_delete=models.PROTECT,
        related_name="credential",
    )
    credential_id = models.CharField(_("định danh khóa ký số tập trung"), max_length=32)
    state = models.CharField(
        _("trạng thái khóa"), max_length=16, choices=CredentialState.choices, db_index=True
    )
    key_algorithm = models.CharField(_("thuật toán khóa"), max_length=16)
    public_key_der = models.BinaryField(editable=False)
    keyed_at = models.DateTimeField(_("sinh khóa lúc"))
    issued_at = models.DateTimeField(_("cấp chứng thư lúc"), null=True, blank=True)
    destroyed_at = models.DateTimeField(_("hủy khóa lúc"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RemoteCredentialQuerySet.as_manager()

    class Meta:
        verbose_name = _("khóa ký số tập trung")
        verbose_name_plural = _("khóa ký số tập trung")
        constraints = [
            models.UniqueConstraint(
                fields=["credential_id"],
                name="remotecredential_id_unique",
                violation_error_message=_("Định danh khóa này đã được dùng."),
            ),
            models.CheckConstraint(
                condition=~Q(state=CredentialState.DESTROYED) | Q(destroyed_at__isnull=False),
                name="remotecredential_destroyed_has_time",
                violation_error_message=_("Khóa đã hủy phải có thời điểm hủy."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.device.serial} ({self.credential_id})"

    @property
    def key_id_bytes(self) -> bytes:
        return bytes.fromhex(self.credential_id)
