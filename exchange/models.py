"""The edXML messages received or sent about a letter (docs/exchange.md, "edXML packages")."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from requests_app.models import CertRequest


class EdxmlMessage(models.Model):
    """An edXML message received or sent for a letter (docs/exchange.md, "edXML packages"):
    a letter's package received (its DocumentId once: a package imported twice creates one
    letter; its signed PDF once: the same PDF under another DocumentId is refused), and the
    status messages about a letter, received or sent (once per code and direction). An
    export records nothing: a status message finds our letter by its DocumentId."""

    class Direction(models.TextChoices):
        SENT = "sent", _("Đã gửi")
        RECEIVED = "received", _("Đã nhận")

    class Kind(models.TextChoices):
        LETTER = "letter", _("Văn bản")
        STATUS = "status", _("Trạng thái")

    letter = models.ForeignKey(
        CertRequest,
        on_delete=models.PROTECT,
        related_name="edxml_messages",
        verbose_name=_("văn bản"),
    )
    direction = models.CharField(_("chiều"), max_length=8, choices=Direction.choices)
    kind = models.CharField(_("loại thông điệp"), max_length=8, choices=Kind.choices)
    document_id = models.CharField(_("mã văn bản (DocumentId)"), max_length=128)
    status_code = models.CharField(_("mã trạng thái"), max_length=2, blank=True)
    # who the message is between, by code: {"sender": …, "receiver": {code, name}} for a
    # package received, {"sender": …} for a status message
    parties = models.JSONField(_("các bên"), default=dict)
    # the message's own bytes for what we send (a status message waits here for the axis);
    # only the hash of what we receive (the letter's PDF is kept as its document)
    content = models.BinaryField(_("nội dung"), default=b"", editable=False)
    sha256 = models.CharField(_("mã băm SHA-256"), max_length=64)
    # a package received: the SHA-256 of its signed PDF, once per portal (a signed PDF
    # re-wrapped under another DocumentId is a replay, refused)
    pdf_sha256 = models.CharField(_("mã băm SHA-256 của PDF"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("lúc"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        # the table it had when the letters' app kept it: moved without copying a row
        db_table = "requests_app_edxmlmessage"
        verbose_name = _("thông điệp edXML")
        verbose_name_plural = _("thông điệp edXML")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["direction", "document_id"],
                condition=Q(kind="letter"),
                name="edxml_one_package_per_direction",
                violation_error_message=_("Gói edXML này đã được ghi nhận."),
            ),
            models.UniqueConstraint(
                fields=["direction", "document_id", "status_code"],
                condition=Q(kind="status"),
                name="edxml_one_status_per_code",
                violation_error_message=_("Thông điệp trạng thái này đã được ghi nhận."),
            ),
            models.UniqueConstraint(
                fields=["pdf_sha256"],
                condition=Q(kind="letter", direction="received") & ~Q(pdf_sha256=""),
                name="edxml_one_package_per_pdf",
                violation_error_message=_("Văn bản PDF này đã được nhận qua một gói edXML khác."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.kind} {self.document_id} {self.status_code}"
