"""The time-stamping authority's rows (docs/ca.md, "Time-stamping authority"): the unit that
signs time-stamp tokens (its certificate and where its key is) and one row per token issued,
which gives each token its serial number and is the TSA's audit trail and count.

Kept apart from `certificates/models.py` (docs/architecture.md §2.1); `certificates.models`
imports it so the app registers it. String references only.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class TimestampUnit(models.Model):
    """The TSA's signing unit: a certificate issued by the issuing CA with the critical
    extendedKeyUsage id-kp-timeStamping only, its key generated in the CA's HSM slot (the
    token's serial and the key's CKA_ID kept here, like `CertificateAuthority`), or encrypted
    in `private_key_pem` in the development file store. One is active; the key ceremony
    replaces it when the issuing CA is rotated or it expires, the old row kept (its tokens
    still name its certificate)."""

    issuer = models.ForeignKey(
        "certificates.CertificateAuthority",
        verbose_name=_("CA phát hành"),
        on_delete=models.PROTECT,
        related_name="timestamp_units",
    )
    name = models.CharField(_("tên (CN)"), max_length=128)
    serial = models.CharField(_("số hiệu chứng thư"), max_length=40, unique=True)
    subject_dn = models.CharField(_("tên phân biệt"), max_length=512)
    key_algorithm = models.CharField(_("thuật toán khóa"), max_length=16)
    not_before = models.DateTimeField(_("hiệu lực từ"))
    not_after = models.DateTimeField(_("hiệu lực đến"))
    certificate_der = models.BinaryField(_("chứng thư (DER)"), editable=False)
    private_key_pem = models.BinaryField(
        _("khóa bí mật (mã hóa)"), null=True, blank=True, editable=False
    )
    token_serial = models.CharField(_("số hiệu token HSM"), max_length=32, blank=True, default="")
    token_key_id = models.CharField(
        _("định danh khóa trên HSM (CKA_ID)"), max_length=64, blank=True, default=""
    )
    is_active = models.BooleanField(_("đang cấp dấu thời gian"), default=True)
    retired_at = models.DateTimeField(_("ngừng lúc"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("đơn vị cấp dấu thời gian (TSA)")
        verbose_name_plural = _("đơn vị cấp dấu thời gian (TSA)")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True),
                name="timestampunit_one_active",
                violation_error_message=_("Chỉ có một đơn vị cấp dấu thời gian đang hoạt động."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Timestamp(models.Model):
    """One time-stamp token issued (RFC 3161 TSTInfo): its serial number is this row's key,
    drawn from the database's sequence, so no two tokens share one. Written before the token
    is signed, in the same transaction (a token that could not be signed leaves no row).
    Append-only; what a token stamped is its message imprint (hash algorithm and digest)."""

    serial = models.BigAutoField(_("số hiệu dấu thời gian"), primary_key=True)
    unit = models.ForeignKey(
        TimestampUnit,
        verbose_name=_("đơn vị cấp"),
        on_delete=models.PROTECT,
        related_name="timestamps",
        null=True,  # a real CA's TSA signs with its own unit
        blank=True,
        db_index=False,  # read by serial or time; the unit is a handful of rows
    )
    hash_algorithm = models.CharField(_("thuật toán băm"), max_length=8)
    message_imprint = models.CharField(_("giá trị băm (hex)"), max_length=128)
    gen_time = models.DateTimeField(_("thời điểm cấp"))
    policy = models.CharField(_("chính sách (OID)"), max_length=128)
    nonce = models.CharField(_("nonce (hex)"), max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("dấu thời gian")
        verbose_name_plural = _("dấu thời gian")
        ordering = ["-serial"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.serial} · {self.gen_time:%d/%m/%Y %H:%M:%S}"
