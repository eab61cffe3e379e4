from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = _("Chứng thư chữ ký số")

    def ready(self):
        from certificates import checks  # noqa: F401 - registers the system checks
