from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BulkConfig(AppConfig):
    name = "bulk"
    verbose_name = _("Thao tác hàng loạt")

    def ready(self):
        # What an approved bulk revocation carries out (approvals.registry).
        from bulk import kinds

        kinds.register()
