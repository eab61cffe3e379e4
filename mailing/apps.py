from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailingConfig(AppConfig):
    name = "mailing"
    verbose_name = _("Thư điện tử gửi đi")

    def ready(self):
        from mailing import checks  # noqa: F401 - registers the system checks
