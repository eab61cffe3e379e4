"""The inventory's one FilterSet, shared by the pages, the Excel export and (later) the API
(docs/architecture.md §2.7)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agencies.access import scope_for
from agencies.choices import OrgKind
from agencies.filters import AGENCY_KINDS, agency_choices_within_scope
from agencies.models import Organization
from agencies.querysets import NOTHING, agency_code_q, is_whole_code
from agencies.validators import nfc
from devices.choices import DeviceKind, DeviceStatus
from devices.models import Device
from portal.field_crypto import blind_index
from portal.lib.folding import folded_contains, search_input
from portal.lib.widgets import QuickSelect, QuickSelects

YES_NO = (("yes", _("Có")), ("no", _("Không")))


class DeviceFilterSet(QuickSelects, django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_search",
        label=_("Số hiệu, ICCID, số điện thoại hoặc tên thuê bao"),
        widget=search_input(),
    )
    kind = django_filters.ChoiceFilter(
        choices=DeviceKind.choices, label=_("Loại thiết bị"), empty_label=_("Tất cả")
    )
    status = django_filters.ChoiceFilter(
        choices=DeviceStatus.choices, label=_("Trạng thái"), empty_label=_("Tất cả")
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
        label=_("Cơ quan quản lý"),
        empty_label=_("Tất cả"),
    )
    overdue_return = django_filters.ChoiceFilter(
        method="filter_overdue_return",
        choices=YES_NO,
        label=_("Quá hạn bàn giao lại"),
        empty_label=_("Tất cả"),
    )

    class Meta:
        model = Device
        fields = ["q", "kind", "status", "province", "agency", "overdue_return"]

    def __init__(self, data=None, queryset=None, *, request=None, fixed: tuple = (), **kwargs):
        """`fixed` names filters the page itself decides (the agency of an agency's page):
        they are left out of the form."""
        super().__init__(data, queryset, request=request, **kwargs)
        for name in fixed:
            self.filters.pop(name, None)
            self.form.fields.pop(name, None)
        user = request.user if request is not None else None
        scope = scope_for(user)
        if "province" in self.form.fields:
            if scope.sees_everything:
                self.form.fields["province"].queryset = (
                    Organization.objects.filter(kind=OrgKind.PROVINCE).active().order_by("name")
                )
            else:
                # A clerk's or officer's own province(s) only; no choice worth a select.
                self.filters.pop("province")
                self.form.fields.pop("province")
        if "agency" in self.form.fields:
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
            | Q(iccid=value)
            | Q(phone_index=blind_index(value))
            | folded_contains("holder__full_name", value)
            | (by_code or NOTHING)
        )

    def filter_agency(self, queryset, name, value):
        return queryset.within(value.path)

    def filter_overdue_return(self, queryset, name, value):
        if value == "yes":
            return queryset.overdue_return()
        if value == "no":
            return queryset.exclude(pk__in=queryset.overdue_return().values("pk"))
        return queryset
