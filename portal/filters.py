"""The notification centre's one FilterSet: unread or all, and the kind."""

import django_filters
from django.utils.translation import gettext_lazy as _

from portal.lib.widgets import QuickSelects
from portal.models import Notification


class NotificationFilterSet(QuickSelects, django_filters.FilterSet):
    show = django_filters.ChoiceFilter(
        label=_("Hiển thị"),
        choices=[("unread", _("Chưa đọc")), ("all", _("Tất cả"))],
        method="filter_show",
        empty_label=None,
    )
    kind = django_filters.ChoiceFilter(
        label=_("Loại"), choices=Notification.Kind.choices, empty_label=_("Mọi loại")
    )

    class Meta:
        model = Notification
        fields = ["show", "kind"]

    def filter_show(self, queryset, name, value):
        if value == "unread":
            return queryset.filter(read_at__isnull=True, closed_at__isnull=True)
        return queryset
