from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Cổng thông tin")

    def ready(self):
        from portal import checks  # noqa: F401 - registers the system checks
        from portal.lib import lookups  # noqa: F401 - registers `__in_array`
        from portal.lib.folding import register_sqlite_function

        connection_created.connect(register_sqlite_function, dispatch_uid="portal_fold")
