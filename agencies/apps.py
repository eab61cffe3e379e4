from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = _("Cơ quan, tổ chức")

    def ready(self) -> None:
        from agencies.accounts import signals

        signals.connect()
