from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    """The roof (docs/architecture.md §1): the per-role dashboards and the navigation. It reads
    every app below it and no app imports it."""

    name = "dashboard"
    verbose_name = _("Bảng điều khiển")
