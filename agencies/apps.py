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
        # The official list of agency codes is parsed by our task: the ground floor calls
        # what it is handed.
        from agencies.code_imports import ORGANIZATION_CODES
        from agencies.tasks import organization_codes_parse_task, organization_codes_save_task
        from portal.imports import import_kind_register

        import_kind_register(
            ORGANIZATION_CODES,
            organization_codes_parse_task,
            save_task=organization_codes_save_task,
        )
