from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemandConfig(AppConfig):
    name = "demand"
    verbose_name = _("Đăng ký nhu cầu chứng thư số")
