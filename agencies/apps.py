from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = _("Cơ quan, tổ chức")

    def ready(self) -> None:
        # The identity events' audit receivers (agencies/accounts/signals.py) and the
        # lockout's (agencies/accounts/lockout.py).
        from agencies.accounts import lockout, signals  # noqa: F401

        signals.connect()
