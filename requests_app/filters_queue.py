"""The one FilterSet of the two work queues (the Sở KH&CN inbox and the CA queue), shared by
the pages and, later, the API (docs/architecture.md §2.7)."""

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.filters import AGENCY_OPTIONS_LIMIT, agency_options
from agencies.models import Organization
from agencies.validators import nfc
from portal.lib.folding import search_input
from portal.lib.widgets import QuickSelect, QuickSelects
from requests_app.choices import FormKind, Status
from requests_app.filters import SEARCH_LABEL
from requests_app.models import CertRequest

YES_NO = (("yes", _("Có")), ("no", _("Không")))


class QueueFilterSet(QuickSelects, django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=SEARCH_LABEL, widget=search_input())
    form = django_filters.ChoiceFilter(
        choices=FormKind.choices, label=_("Mẫu"), empty_label=_("Tất cả")
    )
    agency = django_filters.ModelChoiceFilter(
        widget=QuickSelect,
        queryset=Organization.objects.none(),
        label=_("Cơ quan đề nghị"),
        empty_label=_("Tất cả"),
    )
    status = django_filters.ChoiceFilter(
        choices=Status.choices, label=_("Trạng thái"), empty_label=_("Tất cả")
    )
    overdue = django_filters.ChoiceFilter(
        method="filter_overdue", choices=YES_NO, label=_("Quá hạn"), empty_label=_("Tất cả")
    )

    class Meta:
        model = CertRequest
        fields = ["q", "form", "agency", "status", "overdue"]

    def __init__(self, data=None, queryset=None, *, statuses=(), **kwargs):
        super().__init__(data, queryset, **kwargs)
        # Only the agencies that have a letter in this queue (scoped). The CA's queue holds
        # thousands of them at national scale: the select lists the first AGENCY_OPTIONS_LIMIT
        # by name (and the chosen one); any other is found by name in the search box, which
        # matches the agency's name (CertRequestQuerySet.search).
        in_queue = Organization.objects.filter(
            pk__in=queryset.order_by().values("agency_id")
        ).order_by("name")
        self.filters["agency"].queryset = in_queue
        chosen = str((data or {}).get("agency") or "")
        shown = agency_options(in_queue[:AGENCY_OPTIONS_LIMIT])
        if chosen.isdigit() and int(chosen) not in {pk for pk, _name in shown}:
            shown += agency_options(in_queue.filter(pk=int(chosen)))
        if statuses:
            self.filters["status"].extra["choices"] = [
                (value, label) for value, label in Status.choices if value in statuses
            ]
        # The form is built now, after every filter's choices are set.
        self.form.fields["agency"].widget.choices = [("", _("Tất cả")), *shown]

    def filter_search(self, queryset, name, value):
        return queryset.search(nfc(value or ""))

    def filter_overdue(self, queryset, name, value):
        late = Q(due_on__lt=timezone.localdate())
        if value == "yes":
            return queryset.filter(late)
        if value == "no":
            return queryset.exclude(late)
        return queryset
