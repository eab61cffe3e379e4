"""The letters list's one FilterSet, shared by the page and (later) the API
(docs/architecture.md §2.7)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from agencies.access import scope_for
from agencies.choices import OrgKind
from agencies.filters import AGENCY_KINDS, agency_choices_within_scope
from agencies.models import Organization
from agencies.validators import nfc
from portal.lib.folding import search_input
from portal.lib.widgets import QuickSelect, QuickSelects
from requests_app.choices import FormKind, Status
from requests_app.models import CertRequest

SEARCH_LABEL = _("Số văn bản, trích yếu, cơ quan, họ tên, số định danh hoặc số hiệu")


class CertRequestFilterSet(QuickSelects, django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=SEARCH_LABEL, widget=search_input())
    form = django_filters.ChoiceFilter(
        choices=FormKind.choices, label=_("Mẫu"), empty_label=_("Tất cả")
    )
    status = django_filters.ChoiceFilter(
        choices=Status.choices, label=_("Trạng thái"), empty_label=_("Tất cả")
    )
    province = django_filters.ModelChoiceFilter(
        field_name="agency__province",
        queryset=Organization.objects.filter(kind=OrgKind.PROVINCE),
        label=_("Tỉnh, thành phố"),
        empty_label=_("Tất cả"),
    )
    agency = django_filters.ModelChoiceFilter(
        widget=QuickSelect,
        method="filter_agency",
        queryset=Organization.objects.filter(kind__in=AGENCY_KINDS),
        label=_("Cơ quan đề nghị"),
        empty_label=_("Tất cả"),
    )

    class Meta:
        model = CertRequest
        fields = ["q", "form", "status", "province", "agency"]

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        user = request.user if request is not None else None
        scope = scope_for(user)
        if not (scope.province_ids or scope.sees_everything):
            # Clerks and heads see their own agency's letters: no agency or province to pick.
            del self.filters["agency"]
        if not scope.sees_everything:
            del self.filters["province"]
        if "agency" in self.filters:
            agency_choices_within_scope(self.form, user)

    def filter_search(self, queryset, name, value):
        return queryset.search(nfc(value or ""))

    def filter_agency(self, queryset, name, value):
        return queryset.within(value.path)
