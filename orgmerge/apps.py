from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgmergeConfig(AppConfig):
    name = "orgmerge"
    verbose_name = _("Sắp xếp, sáp nhập cơ quan")

    def ready(self):
        # What an approved "apply the plan" request runs (docs/approvals.md).
        from orgmerge import approval_kinds  # noqa: F401
