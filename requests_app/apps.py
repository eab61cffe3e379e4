from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = _("Yêu cầu chứng thực")

    def ready(self) -> None:
        # Our import jobs are parsed and saved by our tasks, which the ground floor enqueues
        # by name (requests_app/tasks.py).
        from portal.imports import import_kind_register
        from requests_app.excel.jobs import LETTER_IMPORT

        import_kind_register(
            LETTER_IMPORT,
            "requests_app.tasks.letter_import_parse_task",
            save_task="requests_app.tasks.letter_import_save_task",
        )

        # The signing card of the Mẫu 07, 08, 09 pages: devices sits below the signing library.
        from devices.extensions import document_panel_register
        from requests_app.views.device_signing import signing_panel

        document_panel_register(signing_panel)
