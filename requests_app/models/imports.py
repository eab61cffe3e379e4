"""The record of which rows a spreadsheet import added to a letter (docs/processing.md §4.7)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from requests_app.models.letters import CertRequest


class LetterImport(models.Model):
    """The rows an import job added to a letter (docs/processing.md §4.7), written in the
    transaction that adds them. One per job (a constraint): a save task delivered twice, or
    run again after its worker died, cannot add the job's rows twice."""

    cert_request = models.ForeignKey(
        CertRequest, on_delete=models.CASCADE, related_name="imports", verbose_name=_("văn bản")
    )
    job = models.ForeignKey(
        "portal.ImportJob",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("lần nhập tệp"),
    )
    rows = models.PositiveIntegerField(_("số dòng đã thêm"))
    first_position = models.PositiveIntegerField(_("từ STT"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("lần thêm dòng từ tệp")
        verbose_name_plural = _("các lần thêm dòng từ tệp")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["job"],
                name="letterimport_one_per_job",
                violation_error_message=_("Các dòng của lần nhập này đã được thêm."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cert_request_id} ← {self.job_id} ({self.rows})"
