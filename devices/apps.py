from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevicesConfig(AppConfig):
    name = "devices"
    verbose_name = _("Thiết bị lưu khóa bí mật")

    def ready(self) -> None:
        # Our import jobs are parsed by our task: the ground floor calls what it is handed.
        from devices.stock_jobs import STOCK_IMPORT
        from devices.tasks import stock_import_parse_task
        from portal.imports import import_kind_register

        import_kind_register(STOCK_IMPORT, stock_import_parse_task)

        # A SIM PKI's signing number is its holder's mobile: masked on the pages, revealed
        # with a reason (docs/privacy.md §masking).
        from devices.models import Device
        from privacy.access import Subject
        from privacy.reveal import reveal_register

        reveal_register(Device, subject=lambda device: Subject(device.holder_id, ""))
