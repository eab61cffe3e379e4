"""A letter's PDFs, one version per issuance, and the checks of a signed version's signatures
(docs/documents.md §8)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.documents import DocumentKind, StoredDocument
from portal.lib.safetext import SafeJSONEncoder
from portal.texts import shown
from requests_app.models.letters import CertRequest
from requests_app.querysets import LetterDocumentQuerySet


class LetterDocument(StoredDocument):
    """A letter's PDF, one version per issuance (docs/documents.md §8): rendered when the
    head issues the letter, with the number and date it was issued with. A letter returned,
    corrected and issued again gets a new number and a new version; earlier ones stay."""

    letter = models.ForeignKey(
        CertRequest, on_delete=models.PROTECT, related_name="documents", verbose_name=_("văn bản")
    )

    # A signed version kept as a long-term signature (docs/ca.md, "Long-term signatures"):
    # when the certificate of the unit that made its newest document time-stamp ends; empty
    # while it has none. The archive beat extends it before that day.
    archive_until = models.DateTimeField(_("lưu trữ dài hạn đến"), null=True, blank=True)
    # A signed version's Word file, sent on with it by the exchange (docs/mail.md §2):
    # rendered once, by its worker at the first attempt, and kept in the documents' storage
    # under this SHA-256; every later attempt, resend and copy carries these bytes. Empty
    # until then.
    editable_sha256 = models.CharField(
        _("mã băm SHA-256 của bản Word gửi kèm"), max_length=64, blank=True, editable=False
    )

    objects = LetterDocumentQuerySet.as_manager()

    class Meta(StoredDocument.Meta):
        verbose_name = _("tệp văn bản đề nghị")
        verbose_name_plural = _("tệp văn bản đề nghị")
        indexes = [
            models.Index(
                fields=["archive_until"],
                condition=Q(kind=DocumentKind.SIGNED),
                name="letterdoc_archive_due",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["letter", "version"],
                name="letterdoc_version_unique",
                violation_error_message=_("Phiên bản này của văn bản đã tồn tại."),
            ),
            models.UniqueConstraint(
                fields=["letter", "kind", "number"],
                name="letterdoc_one_per_issuance",
                violation_error_message=_("Văn bản đã có tệp cho lần ban hành này."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.letter_id} v{self.version}"

    @property
    def download_name(self) -> str:
        return self.file_name(f"Mau{self.letter.form}_{self.number or self.letter_id}")


class LetterVerification(models.Model):
    """The check of a signed version's signatures (docs/documents.md §8): made when the
    letter is received and again when someone asks; append-only, the newest is current."""

    document = models.ForeignKey(
        LetterDocument,
        on_delete=models.PROTECT,
        related_name="verifications",
        verbose_name=_("bản đã ký"),
    )
    checked_at = models.DateTimeField(_("kiểm tra lúc"), auto_now_add=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người yêu cầu kiểm tra"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ok = models.BooleanField(_("mọi chữ ký hợp lệ"))
    # The result in the default language (rows from before `summary_data` have only it) and
    # as data, shown in the reader's language (portal/texts.py); each signature's problems
    # are data too (plain text in rows from before).
    summary = models.CharField(_("kết quả"), max_length=500)
    summary_data = models.JSONField(
        _("kết quả (mã và tham số)"), default=dict, db_default={}, blank=True
    )
    # one entry per signature, in signing order (certificates.signing.SignatureReport)
    signatures = models.JSONField(_("các chữ ký"), default=list, encoder=SafeJSONEncoder)
    # The validation report of ETSI EN 319 102-1 made by the same check (docs/ca.md,
    # "Validation report"): the document's outcome, and the whole report
    # (certificates.signing.ades.ValidationReport.as_json). Empty on checks made before it.
    indication = models.CharField(_("kết luận (ETSI)"), max_length=16, blank=True)
    sub_indication = models.CharField(_("chỉ dẫn phụ (ETSI)"), max_length=48, blank=True)
    validated_at = models.DateTimeField(_("thời điểm thẩm định"), null=True, blank=True)
    report = models.JSONField(
        _("báo cáo thẩm định"), default=dict, blank=True, encoder=SafeJSONEncoder
    )

    class Meta:
        verbose_name = _("kết quả kiểm tra chữ ký")
        verbose_name_plural = _("kết quả kiểm tra chữ ký")
        ordering = ["-checked_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.document_id} @ {self.checked_at:%Y-%m-%d %H:%M}"

    @property
    def summary_text(self) -> str:
        """The result in the reader's language."""
        return shown(self.summary_data, self.summary)
