from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemoteSigningConfig(AppConfig):
    name = "remote_signing"
    verbose_name = _("Ký số tập trung")
