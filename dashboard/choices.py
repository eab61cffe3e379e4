from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportState(models.TextChoices):
    """A monthly report is a draft (its number reserved at the first signing attempt) until
    the provincial officer signs it; a signed report never changes (docs/statistics.md §10)."""

    DRAFT = "draft", _("Dự thảo")
    SIGNED = "signed", _("Đã ký số, gửi UBND tỉnh")
