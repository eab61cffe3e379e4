"""Sole control of remote-signing credentials and the signatures authorised with it
(docs/remote-signing.md).

No PIN, code or key is stored: the signing PIN as a salted MAC under the HSM's PIN key, the
activation code and each authorisation's token as keyed hashes, the authenticator's secret
encrypted with the field key (docs/privacy-at-rest.md). The private key is in the CA's HSM
(devices.RemoteCredential).

The carrier's gateway for SIM PKI keeps its own records: a SIM's count of wrong PINs and each
mobile signature asked of it (docs/remote-signing.md, "SIM PKI"). The SIM's key and PIN are on
the SIM (a SoftHSM2 token standing in for it).
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.field_crypto import EncryptedCharField
from remote_signing.choices import ControlState, MobileState

S = ControlState


class SignatureAuthorizationQuerySet(models.QuerySet):
    def signed_since(self, credential, moment):
        """The authorisations of `credential` used to sign at or after `moment`, newest first."""
        return self.filter(
            control__credential=credential, used_at__isnull=False, used_at__gte=moment
        ).order_by("-used_at")


class SoleControl(models.Model):
    """What keeps a credential's key its holder's alone: the PIN they chose, the second factor
    they bound, the count of wrong PINs and the lock."""

    credential = models.OneToOneField(
        "devices.RemoteCredential",
        verbose_name=_("khóa ký số tập trung"),
        on_delete=models.PROTECT,
        related_name="control",
    )
    state = models.CharField(
        _("trạng thái"),
        max_length=16,
        choices=ControlState.choices,
        default=S.AWAITING_ACTIVATION,
        db_index=True,
    )
    # The open activation code's keyed hash, until it is used or replaced.
    code_digest = models.CharField(max_length=64, blank=True, editable=False)
    code_expires_at = models.DateTimeField(_("mã kích hoạt hết hạn lúc"), null=True, blank=True)
    pin_hash = models.CharField(max_length=128, blank=True, editable=False)
    totp_key = EncryptedCharField(max_length=80, blank=True, editable=False)
    # The last time step whose code was taken: a code is good once.
    totp_last_step = models.BigIntegerField(default=-1, editable=False)
    failed_pins = models.PositiveSmallIntegerField(_("số lần sai mã PIN"), default=0)
    activated_at = models.DateTimeField(_("kích hoạt lúc"), null=True, blank=True)
    locked_at = models.DateTimeField(_("khóa lúc"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("ký lần cuối lúc"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("quyền kiểm soát khóa ký số tập trung")
        verbose_name_plural = _("quyền kiểm soát khóa ký số tập trung")
        constraints = [
            models.CheckConstraint(
                condition=~Q(state=S.ACTIVE) | (~Q(pin_hash="") & ~Q(totp_key="")),
                name="solecontrol_active_has_pin_and_factor",
                violation_error_message=_("Khóa đang dùng phải có mã PIN và yếu tố thứ hai."),
            ),
            models.CheckConstraint(
                condition=~Q(state=S.LOCKED) | Q(locked_at__isnull=False),
                name="solecontrol_locked_has_time",
                violation_error_message=_("Khóa bị khóa phải có thời điểm khóa."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.credential} ({self.get_state_display()})"


class SignatureAuthorization(models.Model):
    """The holder's consent to sign exactly these hashes (the CSC API's SAD), good once and
    for a few minutes (REMOTE_SIGNING_AUTHORIZATION_SECONDS)."""

    control = models.ForeignKey(
        SoleControl, on_delete=models.PROTECT, related_name="authorizations"
    )
    # The keyed hash of the token handed to the holder's client, never the token.
    digest = models.CharField(max_length=64, editable=False)
    hash_algorithm = models.CharField(_("thuật toán băm (OID)"), max_length=64)
    hashes = models.JSONField(_("các giá trị băm (base64)"))
    created_at = models.DateTimeField(_("xác nhận lúc"))
    expires_at = models.DateTimeField(_("hết hạn lúc"))
    used_at = models.DateTimeField(_("đã ký lúc"), null=True, blank=True)
    # Each hash signed with it and its signature (base64 to base64): public values, read back
    # by the page that waits for a document's signature (docs/remote-signing.md).
    signatures = models.JSONField(_("các chữ ký (base64)"), default=dict, editable=False)

    objects = SignatureAuthorizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("xác nhận ký")
        verbose_name_plural = _("xác nhận ký")
        constraints = [
            models.UniqueConstraint(fields=["digest"], name="sigauth_digest_unique"),
            # Used at most once (the row's one `used_at`), and never after it expired.
            models.CheckConstraint(
                condition=Q(used_at__isnull=True) | Q(used_at__lte=models.F("expires_at")),
                name="sigauth_used_before_expiry",
                violation_error_message=_("Xác nhận ký đã hết hạn."),
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="sigauth_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.control.credential} · {len(self.hashes)} ({self.created_at:%d/%m/%Y %H:%M})"


class SimCard(models.Model):
    """The carrier's record of a SIM PKI: how many wrong PINs in a row, and whether the SIM
    has blocked its PIN (as a SIM does after REMOTE_SIGNING_SIM_PIN_TRIES)."""

    device = models.OneToOneField(
        "devices.Device", verbose_name=_("SIM PKI"), on_delete=models.PROTECT,
        related_name="sim_card",
    )  # fmt: skip
    failed_pins = models.PositiveSmallIntegerField(_("số lần sai mã PIN liên tiếp"), default=0)
    blocked_at = models.DateTimeField(_("khóa mã PIN lúc"), null=True, blank=True)
    # When the PIN the count and the block are about was set (the SIM token's `pin_set_at`):
    # a new PIN starts them again.
    pin_set_at = models.DateTimeField(_("mã PIN đặt lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("SIM ký số")
        verbose_name_plural = _("SIM ký số")

    def __str__(self) -> str:
        return str(self.device)


class MobileSignatureQuerySet(models.QuerySet):
    def outstanding_for(self, user, now):
        """The requests waiting on the SIMs `user` holds: what their phone shows."""
        return self.filter(
            sim__device__holder__user=user, state=MobileState.OUTSTANDING, expires_at__gt=now
        ).order_by("created_at")


class MobileSignature(models.Model):
    """One MSS_Signature transaction at the carrier's gateway (ETSI TS 102 204): the hash an
    application provider asked the SIM to sign, the text the phone shows with it, and the
    answer. Its id is the MSSP_TransID."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sim = models.ForeignKey(SimCard, on_delete=models.PROTECT, related_name="signatures")
    ap_id = models.CharField(_("nhà cung cấp ứng dụng (AP_ID)"), max_length=128)
    ap_trans_id = models.CharField(_("mã giao dịch của ứng dụng (AP_TransID)"), max_length=64)
    hash_algorithm = models.CharField(_("thuật toán băm (OID)"), max_length=64)
    digest = models.CharField(_("giá trị băm (base64)"), max_length=128)
    display = models.CharField(_("nội dung hiển thị trên điện thoại"), max_length=255)
    state = models.CharField(
        _("trạng thái"), max_length=16, choices=MobileState.choices,
        default=MobileState.OUTSTANDING,
    )  # fmt: skip
    signature = models.TextField(_("chữ ký (base64)"), blank=True, editable=False)
    created_at = models.DateTimeField(_("yêu cầu lúc"))
    expires_at = models.DateTimeField(_("hết hạn lúc"))
    answered_at = models.DateTimeField(_("trả lời lúc"), null=True, blank=True)

    objects = MobileSignatureQuerySet.as_manager()

    class Meta:
        verbose_name = _("yêu cầu ký qua SIM")
        verbose_name_plural = _("yêu cầu ký qua SIM")
        constraints = [
            # An application's transaction is asked once: a repeat is answered with the first.
            models.UniqueConstraint(
                fields=["ap_id", "ap_trans_id"], name="mobilesig_ap_trans_unique"
            ),
            models.CheckConstraint(
                condition=~Q(state=MobileState.SIGNED) | ~Q(signature=""),
                name="mobilesig_signed_has_signature",
            ),
            models.CheckConstraint(
                condition=Q(state=MobileState.OUTSTANDING) | Q(answered_at__isnull=False),
                name="mobilesig_answered_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sim} · {self.ap_trans_id} ({self.get_state_display()})"
