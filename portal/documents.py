"""The stored, versioned PDF of an official document (docs/documents.md §8): an abstract
base that the letters (requests_app.LetterDocument) and the device documents
(devices.DeviceDocument) extend with the object they belong to and a unique (object, version).

The row holds the SHA-256 and the size; the bytes live in the `documents` storage under that
SHA-256 (config/storage.py: a local folder, or the object store every node shares), written
before the transaction that saves the row commits, so a committed version always finds its
bytes (a rolled-back one leaves a file nobody names). A version is never changed or deleted (a
correction makes a new version and keeps the earlier one); an archive extension writes new bytes
under a new SHA-256.

Expand, then contract (docs/deployment.md, "Rolling upgrade"): this release still writes the
bytes into the row too (`in_row`, the `content` column), because nodes of the previous version
read them there while the upgrade rolls; reads take the storage and fall back to the row (rows
saved before, or by such a node). `manage.py documents_to_store` copies rows' bytes into the
storage; `--empty-rows` then empties the rows, once no node of a previous version runs. The
row's bytes are encrypted (docs/privacy-at-rest.md): a node of a release from before that
cannot read them, so no upgrade rolls across the migrations that encrypted them."""

import hashlib

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.http import HttpResponse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from portal.field_crypto import EncryptedBinaryField
from portal.lib.filenames import safe_file_name
from portal.lib.stored_files import (
    ContentMismatch,
    content_name,
    content_put,
    content_read,
    presigns,
    stored_download,
)

EXTENSION = ".pdf"


def document_storage():
    return storages["documents"]


def document_bytes_keep(pdf: bytes) -> None:
    """Keep `pdf` in the documents' storage ahead of the transaction that will save its row
    (`set_content` then finds it there): no row lock is held while the store is written."""
    content_put(document_storage(), pdf, extension=EXTENSION)


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
    # The bytes in the row as well, for nodes of the previous version (see above); encrypted,
    # since a letter's table lists ID numbers and birth dates (docs/privacy-at-rest.md).
    in_row = EncryptedBinaryField(
        _("nội dung PDF (trong bản ghi)"), db_column="content", default=b"", editable=False
    )
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
        """Keep `pdf` in the documents' storage and in the row (before the caller saves it)."""
        content_put(document_storage(), pdf, extension=EXTENSION)
        self.in_row = pdf
        self.size = len(pdf)
        self.sha256 = hashlib.sha256(pdf).hexdigest()
        self.__dict__["content"] = pdf

    @cached_property
    def content(self) -> bytes:
        """The PDF's bytes, read once per instance: from the row when loaded with it, else
        from the storage (checked against `sha256`), else from the row."""
        if "in_row" in self.__dict__ and self.in_row:
            return bytes(self.in_row)
        try:
            return content_read(document_storage(), self.sha256, extension=EXTENSION)
        except FileNotFoundError:  # saved by a node of the previous version
            if not self.in_row:
                raise
            return bytes(self.in_row)

    def file_name(self, stem: str) -> str:
        """The download name: at most 50 characters, no diacritics (docs/domain.md §9). A long
        stem is cut before the version and the signed mark, so versions keep distinct names."""
        signed = "_da_ky" if self.kind == DocumentKind.SIGNED else ""
        return safe_file_name(stem, extension=f"_v{self.version}{signed}.pdf")


def documents_to_store(
    model: type[StoredDocument], *, empty_rows: bool = False, batch: int = 100
) -> int:
    """Copy the bytes of `model`'s rows into the documents' storage, `batch` rows at a time in
    the order of their keys; with `empty_rows`, empty each row once its stored copy reads back
    right. How many rows were copied. Safe to run again, and beside nodes writing rows."""
    storage, copied, after = document_storage(), 0, 0
    while True:
        rows = list(
            model.objects.filter(pk__gt=after)
            .exclude(in_row=b"")
            .order_by("pk")
            .only("pk", "sha256", "in_row")[:batch]
        )
        if not rows:
            return copied
        for row in rows:
            data = bytes(row.in_row)
            if hashlib.sha256(data).hexdigest() != row.sha256:
                raise ContentMismatch(f"{model.__name__} {row.pk}")
            content_put(storage, data, extension=EXTENSION)
            copied += 1
            if empty_rows and content_read(storage, row.sha256, extension=EXTENSION) == data:
                model.objects.filter(pk=row.pk, sha256=row.sha256).update(in_row=b"")
        after = rows[-1].pk


def pdf_download(document: StoredDocument, file_name: str) -> HttpResponse:
    """A stored PDF as an attachment under its safe name, kept out of shared caches: a
    short-lived link into the object store, or the bytes. The caller has fetched `document`
    through `visible_to` (out of scope: 404)."""
    storage = document_storage()
    name = content_name(document.sha256, EXTENSION)
    if presigns(storage) and storage.exists(name):
        response = stored_download(
            storage,
            name,
            file_name=safe_file_name(file_name.removesuffix(EXTENSION)),
            content_type="application/pdf",
        )
    else:
        response = pdf_response(document.content, file_name)
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
