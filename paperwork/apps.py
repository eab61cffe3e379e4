from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaperworkConfig(AppConfig):
    """The device documents' signing and the flows that start from a device (docs/devices.md):
    Mẫu 07, 08 and 09 signed at the parties' desks, a loss that drafts its Mẫu 05, a locked
    device its Mẫu 06. It sits above the letters, whose desk rounds and drafting it uses, and
    above devices, whose documents and custody it moves through their services."""

    name = "paperwork"
    verbose_name = _("Hồ sơ thiết bị")

    def ready(self) -> None:
        from devices.extensions import document_panel_register
        from paperwork.views.signing import signing_panel

        # The signing card of the Mẫu 07, 08, 09 pages: devices sits below the signing.
        document_panel_register(signing_panel)
