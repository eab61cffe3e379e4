from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = _("Phê duyệt hai người")

    def ready(self):
        # The kinds this app carries out itself (the accounts' second factor and roles, on the
        # floor below); the apps above register theirs in their own `ready`.
        from approvals import kinds  # noqa: F401
