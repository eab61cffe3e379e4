from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = _("Chứng thư chữ ký số")

    def ready(self):
        # The system checks, and what an approved CA rotation runs (docs/approvals.md).
        from certificates import approval_kinds, checks  # noqa: F401
