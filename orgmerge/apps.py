from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgmergeConfig(AppConfig):
    name = "orgmerge"
    verbose_name = _("Sắp xếp, sáp nhập cơ quan")
