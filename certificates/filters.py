"""The registry list's one FilterSet, shared by the page and (later) the API
(docs/architecture.md §2.7)."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agencies.choices import OrgKind
from agencies.filters import AGENCY_KINDS, agency_choices_within_scope
from agencies.models import Organization
from agencies.querysets import NOTHING, agency_code_q, is_whole_code
from agencies.validators import nfc
from certificates.choices import CertStatus, SubjectKind
from certificates.models import Certificate
from devices.choices import DeviceKind
from portal.lib.folding import folded_contains, search_input
from portal.lib.widgets import QuickSelect, QuickSelects


class CertificateFilterSet(QuickSelects, django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_search",
        label=_("Số hiệu, tên, cơ quan hoặc thư điện tử"),
        widget=search_input(),
    )
    province = django_filters.ModelChoiceFilter(
        field_name="agency__province",
        queryset=Organization.objects.filter(kind=OrgKind.PROVINCE).active(),
        label=_("Tỉnh, thành phố"),
        empty_label=_("Tất cả"),
    )
    agency = django_filters.ModelChoiceFilter(
        widget=QuickSelect,
        method="filter_agency",
        queryset=Organization.objects.filter(kind__in=AGENCY_KINDS),
        label=_("Cơ quan quản lý"),
        empty_label=_("Tất cả"),
    )
    subject_kind = django_filters.ChoiceFilter(
        choices=SubjectKind.choices, label=_("Loại thuê bao"), empty_label=_("Tất cả")
    )
    status = django_filters.ChoiceFilter(
        choices=CertStatus.choices, label=_("Trạng thái"), empty_label=_("Tất cả")
    )
    expiring_within = django_filters.NumberFilter(
        method="filter_expiring",
        label=_("Hết hạn trong vòng (ngày)"),
        widget=forms.NumberInput(attrs={"min": 1, "max": 3650}),
    )
    device_kind = django_filters.ChoiceFilter(
        field_name="device__kind",
        choices=DeviceKind.choices,
        label=_("Loại thiết bị"),
        empty_label=_("Tất cả"),
    )

    class Meta:
        model = Certificate
        fields = ["q", "province", "agency", "subject_kind", "status", "device_kind"]

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        user = request.user if request is not None else None
        agency_choices_within_scope(self.form, user)

    def filter_search(self, queryset, name, value):
        value = nfc(value or "")
        if not value:
            return queryset
        by_code = agency_code_q(value)
        if by_code is not None and is_whole_code(value):
            return queryset.filter(by_code)  # a whole code is no name nor serial
        return queryset.filter(
            Q(serial=value.upper())
            | folded_contains("common_name", value)
            | folded_contains("agency__name", value)
            | Q(email__iexact=value)
            | (by_code or NOTHING)
        )

    def filter_agency(self, queryset, name, value):
        return queryset.within(value.path)

    def filter_expiring(self, queryset, name, value):
        days = max(0, min(int(value), 3650))
        return queryset.expiring_within(days)
