"""The stored PDF versions of the Mẫu 07, 08 and 09 documents (docs/documents.md §8)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from devices.models.documents import HandoverNotice, LossReport, ReturnMinutes
from portal.documents import StoredDocument
from portal.lib.filenames import safe_file_name


class DeviceDocumentForm(models.TextChoices):
    MAU_07 = "07", _("Mẫu 07")
    MAU_08 = "08", _("Mẫu 08")
    MAU_09 = "09", _("Mẫu 09")


class SigningParty(models.TextChoices):
    """Who signed a SIGNED version: the agency (its head and seal; Mẫu 07, 08, 09), then, on a
    Mẫu 08, the receiving Sở KH&CN or CA over the agency's signed version."""

    AGENCY = "agency", _("Cơ quan bên giao")
    RECEIVER = "receiver", _("Bên nhận")


class DeviceDocument(StoredDocument):
    """A PDF of one device document. A new version only when the document's content changed
    (e.g. the receiving side confirmed a Mẫu 08): rendering is deterministic, so the same
    content has the same SHA-256, and (document, kind, sha256) is unique."""

    form = models.CharField(_("mẫu"), max_length=2, choices=DeviceDocumentForm.choices)
    notice = models.ForeignKey(
        HandoverNotice, null=True, blank=True, on_delete=models.PROTECT, related_name="pdfs"
    )
    minutes = models.ForeignKey(
        ReturnMinutes, null=True, blank=True, on_delete=models.PROTECT, related_name="pdfs"
    )
    loss_report = models.ForeignKey(
        LossReport, null=True, blank=True, on_delete=models.PROTECT, related_name="pdfs"
    )
    # Set on SIGNED versions only: whose signature this version added.
    party = models.CharField(
        _("bên ký"), max_length=16, choices=SigningParty.choices, blank=True, default=""
    )

    class Meta(StoredDocument.Meta):
        verbose_name = _("tệp văn bản thiết bị")
        verbose_name_plural = _("tệp văn bản thiết bị")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        form="07",
                        notice__isnull=False,
                        minutes__isnull=True,
                        loss_report__isnull=True,
                    )
                    | Q(
                        form="08",
                        notice__isnull=True,
                        minutes__isnull=False,
                        loss_report__isnull=True,
                    )
                    | Q(
                        form="09",
                        notice__isnull=True,
                        minutes__isnull=True,
                        loss_report__isnull=False,
                    )
                ),
                name="devicedoc_one_document",
                violation_error_message=_("Tệp phải thuộc đúng một văn bản của mẫu đã chọn."),
            ),
            *(
                models.UniqueConstraint(
                    fields=[field, "version"],
                    condition=Q(**{f"{field}__isnull": False}),
                    name=f"devicedoc_{field}_version_unique",
                )
                for field in ("notice", "minutes", "loss_report")
            ),
            *(
                models.UniqueConstraint(
                    fields=[field, "kind", "sha256"],
                    condition=Q(**{f"{field}__isnull": False}),
                    name=f"devicedoc_{field}_content_unique",
                )
                for field in ("notice", "minutes", "loss_report")
            ),
            # One signed version per document and party: a second signing stores nothing.
            *(
                models.UniqueConstraint(
                    fields=[field, "party"],
                    condition=Q(**{f"{field}__isnull": False}, kind="signed"),
                    name=f"devicedoc_{field}_signed_once",
                )
                for field in ("notice", "minutes", "loss_report")
            ),
            models.CheckConstraint(
                condition=Q(kind="signed", party__in=["agency", "receiver"])
                | (~Q(kind="signed") & Q(party="")),
                name="devicedoc_signed_names_its_party",
                violation_error_message=_("Bản đã ký phải ghi rõ bên ký."),
            ),
        ]

    def __str__(self) -> str:
        return f"Mẫu {self.form} {self.number} v{self.version}"

    @property
    def download_name(self) -> str:
        return safe_file_name(f"Mau{self.form}_{self.number}_v{self.version}", extension=".pdf")
