from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = _("Yêu cầu chứng thực")

    def ready(self) -> None:
        # Our import jobs are parsed by our task: the ground floor calls what it is handed.
        from portal.imports import import_kind_register
        from requests_app.excel.jobs import LETTER_IMPORT
        from requests_app.tasks import letter_import_parse_task

        import_kind_register(LETTER_IMPORT, letter_import_parse_task)

        # The signing card of the Mẫu 07, 08, 09 pages: devices sits below the signing library.
        from devices.extensions import document_panel_register
        from requests_app.views.device_signing import signing_panel

        document_panel_register(signing_panel)
