from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = _("Cơ quan, tổ chức")

    def ready(self):
        # The lockout's audit receiver (agencies/accounts/lockout.py).
        from agencies.accounts import lockout  # noqa: F401
