"""The letters list's one FilterSet, shared by the page and (later) the API
(docs/architecture.md §2.7)."""

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from agencies.access import scope_for
from agencies.choices import OrgKind
from agencies.filters import AGENCY_KINDS, agency_choices_within_scope
from agencies.models import Organization
from agencies.validators import nfc
from portal.lib.search import folded_match
from requests_app.choices import FormKind, Status
from requests_app.models import CertRequest, RequestRow

SEARCH_LABEL = _("Số văn bản, trích yếu, họ tên, số định danh hoặc số hiệu trong văn bản")


def letters_matching(queryset, value: str):
    """Letters whose number or subject matches, or having a row that names the person or
    organisation (accents forgiven), the ID number or a certificate or device serial."""
    value = nfc(value or "").strip()
    if not value:
        return queryset
    exact = value.upper()
    rows = RequestRow.objects.filter(cert_request=OuterRef("pk")).filter(
        Q(national_id=value)
        | Q(old_serial=exact)
        | Q(certificate__serial=exact)
        | Q(result_certificate__serial=exact)
        | Q(device__serial=exact)
        | Q(result_device__serial=exact)
        | folded_match(value, "full_name", "organization_name", "service_name")
    )
    return queryset.filter(
        Q(number__icontains=value) | folded_match(value, "subject") | Exists(rows)
    )


class CertRequestFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=SEARCH_LABEL)
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
        return letters_matching(queryset, value)

    def filter_agency(self, queryset, name, value):
        return queryset.within(value.path)
