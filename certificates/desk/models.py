"""A signing request handed to the signer's desk (docs/ca.md, "Signing at the signer's desk"):
the PDF prepared with its signature placeholder, the digest the signer's token signs and the
one-time nonce and deadline that bind the answer to this request.

Kept apart from `certificates/models.py` (docs/architecture.md §2.1: a module past about 400
lines is split); `certificates.models` imports it so the app registers it. String references
only, so this module imports nothing of the app's models.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DeskState(models.TextChoices):
    """A desk signing request's life (docs/architecture.md §3: one table, one helper):
    pending → done (the signature embedded and verified), refused (the answer failed a check),
    expired (no valid answer before `expires_at`); done → abandoned (its document was signed
    again from the first round: the signed PDF it left was swept, or the document was not
    stored after the last round; certificates/desk/rounds.py)."""

    PENDING = "pending", _("Chờ ký")
    DONE = "done", _("Đã ký")
    REFUSED = "refused", _("Bị từ chối")
    EXPIRED = "expired", _("Hết hạn")
    ABANDONED = "abandoned", _("Bỏ, ký lại từ đầu")


# The lifecycle table: from each state, the states it may move to.
DESK_MOVES: dict[str, frozenset[str]] = {
    DeskState.PENDING: frozenset({DeskState.DONE, DeskState.REFUSED, DeskState.EXPIRED}),
    DeskState.DONE: frozenset({DeskState.ABANDONED}),
    DeskState.REFUSED: frozenset(),
    DeskState.EXPIRED: frozenset(),
    DeskState.ABANDONED: frozenset(),
}


class DeskSigningQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(state=DeskState.PENDING)

    def stale(self, now):
        """Pending past their deadline: the sweep marks them expired."""
        return self.pending().filter(expires_at__lte=now)

    def finished_before(self, moment):
        """Finished before `moment` and still holding PDF bytes: the sweep empties them."""
        return (
            self.exclude(state=DeskState.PENDING)
            .filter(finished_at__lt=moment)
            .exclude(prepared_pdf=b"", signed_pdf=b"")
        )

    def done_for(self, purpose: str):
        return self.filter(purpose=purpose, state=DeskState.DONE)

    def awaiting_seal(self, signature_purpose: str, seal_purpose: str) -> bool:
        """Whether the head's round is done, its signed PDF kept, and the seal's not yet."""
        return (
            self.done_for(signature_purpose).exclude(signed_pdf=b"").exists()
            and not self.done_for(seal_purpose).exists()
        )


class DeskSigning(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    nonce = models.CharField(_("nonce"), max_length=64, editable=False)
    state = models.CharField(
        _("trạng thái"), max_length=16, choices=DeskState.choices, default=DeskState.PENDING
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người ký"),
        on_delete=models.PROTECT,
        related_name="desk_signings",
    )
    certificate = models.ForeignKey(
        "certificates.Certificate",
        verbose_name=_("chứng thư phải dùng"),
        on_delete=models.PROTECT,
        related_name="desk_signings",
    )
    # What is signed, as a key the caller chose ("letter:12:34:signature"); one request of a
    # purpose completes at most once (constraint below).
    purpose = models.CharField(_("mục đích"), max_length=128)
    field_name = models.CharField(_("ô chữ ký"), max_length=64)
    document_number = models.CharField(_("số văn bản"), max_length=64, blank=True)
    title = models.CharField(_("trích yếu"), max_length=255, blank=True)
    # The PDF with the reserved /Contents placeholder, the byte range's digest and where the
    # placeholder lies (pyHanko's PreparedByteRangeDigest), and the DER of the CMS signed
    # attributes whose SHA-256 the token signs. Emptied by the sweep once no longer needed.
    prepared_pdf = models.BinaryField(editable=False, default=b"")
    document_digest = models.BinaryField(editable=False)
    reserved_start = models.PositiveIntegerField(editable=False)
    reserved_end = models.PositiveIntegerField(editable=False)
    signed_attrs_der = models.BinaryField(editable=False)
    signed_pdf = models.BinaryField(editable=False, default=b"")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("hết hạn lúc"), db_index=True)
    finished_at = models.DateTimeField(_("kết thúc lúc"), null=True, blank=True)
    refusal = models.CharField(_("lý do từ chối"), max_length=500, blank=True)

    objects = DeskSigningQuerySet.as_manager()

    class Meta:
        verbose_name = _("yêu cầu ký tại máy người ký")
        verbose_name_plural = _("yêu cầu ký tại máy người ký")
        constraints = [
            models.UniqueConstraint(
                fields=["purpose"],
                condition=Q(state=DeskState.DONE),
                name="desk_signing_one_done_per_purpose",
                violation_error_message=_("Văn bản này đã được ký bằng một yêu cầu khác."),
            ),
            models.CheckConstraint(
                condition=Q(state=DeskState.PENDING, finished_at__isnull=True)
                | (~Q(state=DeskState.PENDING) & Q(finished_at__isnull=False)),
                name="desk_signing_finished_once",
                violation_error_message=_("Yêu cầu ký chỉ kết thúc một lần."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} ({self.state})"
