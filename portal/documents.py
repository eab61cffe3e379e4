"""The stored, versioned PDF of an official document (docs/documents.md §8): an abstract
base that the letters (requests_app.LetterDocument) and the device documents
(devices.DeviceDocument) extend with the object they belong to and a unique (object, version).

The bytes live in the database row with their SHA-256: they are written in the same
transaction as the version that names them, backed up with the database, and a version is
never changed or deleted (a correction makes a new version and keeps the earlier one)."""

import hashlib

from django.conf import settings
from django.db import models
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from portal.lib.filenames import safe_file_name


class DocumentKind(models.TextChoices):
    RENDERED = "rendered", _("Bản kết xuất (chưa ký)")
    # Signed in the portal or outside it and uploaded: the rendered version plus the
    # signatures, as incremental updates (docs/domain.md §10).
    SIGNED = "signed", _("Bản đã ký số")


class StoredDocument(models.Model):
    version = models.PositiveIntegerField(_("phiên bản"))
    kind = models.CharField(
        _("loại bản"), max_length=16, choices=DocumentKind.choices, default=DocumentKind.RENDERED
    )
    number = models.CharField(_("số văn bản"), max_length=64, blank=True)
    issued_on = models.DateField(_("ngày ban hành"), null=True, blank=True)
    content = models.BinaryField(_("nội dung PDF"), editable=False)
    size = models.PositiveIntegerField(_("kích thước (byte)"), editable=False)
    sha256 = models.CharField(_("mã băm SHA-256"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người tạo"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        abstract = True
        ordering = ["-version"]

    def set_content(self, pdf: bytes) -> None:
        self.content = pdf
        self.size = len(pdf)
        self.sha256 = hashlib.sha256(pdf).hexdigest()

    def file_name(self, stem: str) -> str:
        """The download name: at most 50 characters, no diacritics (docs/domain.md §9). A long
        stem is cut before the version and the signed mark, so versions keep distinct names."""
        signed = "_da_ky" if self.kind == DocumentKind.SIGNED else ""
        return safe_file_name(stem, extension=f"_v{self.version}{signed}.pdf")


def pdf_download(document: StoredDocument, file_name: str) -> HttpResponse:
    """A stored PDF as an attachment under its safe name, kept out of shared caches. The
    caller has fetched `document` through `visible_to` (out of scope: 404)."""
    response = pdf_response(bytes(document.content), file_name)
    response["ETag"] = f'"{document.sha256}"'
    return response


def pdf_response(pdf: bytes, file_name: str) -> HttpResponse:
    """PDF bytes (stored or drawn now) as an attachment under a safe name, never cached by a
    shared cache nor sniffed as anything else."""
    response = HttpResponse(pdf, content_type="application/pdf")
    stem = file_name.removesuffix(".pdf")
    response["Content-Disposition"] = f'attachment; filename="{safe_file_name(stem)}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
