"""One FilterSet per document list (docs/architecture.md §2.7)."""

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.access import scope_for
from agencies.choices import OrgKind
from agencies.filters import agency_choices_within_scope
from agencies.models import Organization
from agencies.validators import nfc
from devices.choices import ReceiverKind, ReturnReason
from devices.filters import AGENCY_KINDS
from devices.models import HandoverNotice, LossReport, ReturnMinutes, ReturnObligation
from portal.lib.folding import folded_contains, search_input
from portal.lib.widgets import QuickSelect, QuickSelects

SEARCH_LABEL = _("Số biên bản, số hiệu hoặc tên thuê bao")


def _province_filter():
    return django_filters.ModelChoiceFilter(
        field_name="agency__province",
        queryset=Organization.objects.filter(kind=OrgKind.PROVINCE),
        label=_("Tỉnh, thành phố"),
        empty_label=_("Tất cả"),
    )


class _AgencyFilterMixin:
    """The agency select. For a clerk or an officer: the agencies having a row in their
    (scoped) list, a few hundred at most. For the CA and administrators, who see every agency
    (20,000 nationwide), a province select first and the chosen province's agencies (the
    ministries without one), as on the registry and the inventory (`agencies.filters`); a plain
    GET form, so it works without JavaScript."""

    def _limit_agencies(self, queryset, request=None):
        user = request.user if request is not None else None
        if scope_for(user).sees_everything:
            self.filters["province"].queryset = (
                Organization.objects.filter(kind=OrgKind.PROVINCE).active().order_by("name")
            )
            agency_choices_within_scope(self.form, user)
            return
        self.filters.pop("province", None)
        self.filters["agency"].queryset = Organization.objects.filter(
            kind__in=AGENCY_KINDS, pk__in=queryset.order_by().values("agency_id")
        ).order_by("name")

    def filter_search(self, queryset, name, value):
        value = nfc(value or "")
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value)
            | Q(**{f"{self.device_path}serial": value.upper()})
            | folded_contains(f"{self.name_path}subscriber_name", value)
        )


class NoticeFilterSet(_AgencyFilterMixin, QuickSelects, django_filters.FilterSet):
    device_path, name_path = "items__device__", "items__"
    q = django_filters.CharFilter(
        method="filter_search",
        label=_("Số thông báo, số hiệu hoặc tên thuê bao"),
        widget=search_input(),
    )
    province = _province_filter()
    agency = django_filters.ModelChoiceFilter(
        widget=QuickSelect,
        queryset=Organization.objects.none(),
        label=_("Cơ quan"),
        empty_label=_("Tất cả"),
    )
    handed_after = django_filters.DateFilter(
        field_name="handed_on", lookup_expr="gte", label=_("Bàn giao từ ngày")
    )

    class Meta:
        model = HandoverNotice
        fields = ["q", "province", "agency", "handed_after"]

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        self._limit_agencies(queryset, request)

    def filter_search(self, queryset, name, value):
        return super().filter_search(queryset, name, value).distinct()


class MinutesFilterSet(_AgencyFilterMixin, QuickSelects, django_filters.FilterSet):
    device_path, name_path = "items__device__", "items__"
    STATES = (("waiting", _("Chờ bên nhận xác nhận")), ("confirmed", _("Đã xác nhận")))
    q = django_filters.CharFilter(method="filter_search", label=SEARCH_LABEL, widget=search_input())
    province = _province_filter()
    agency = django_filters.ModelChoiceFilter(
        widget=QuickSelect,
        queryset=Organization.objects.none(),
        label=_("Bên giao"),
        empty_label=_("Tất cả"),
    )
    receiver_kind = django_filters.ChoiceFilter(
        choices=ReceiverKind.choices, label=_("Bên nhận"), empty_label=_("Tất cả")
    )
    state = django_filters.ChoiceFilter(
        method="filter_state", choices=STATES, label=_("Trạng thái"), empty_label=_("Tất cả")
    )

    class Meta:
        model = ReturnMinutes
        fields = ["q", "province", "agency", "receiver_kind", "state"]

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        self._limit_agencies(queryset, request)

    def filter_search(self, queryset, name, value):
        return super().filter_search(queryset, name, value).distinct()

    def filter_state(self, queryset, name, value):
        if value == "waiting":
            return queryset.filter(confirmed_at__isnull=True)
        if value == "confirmed":
            return queryset.filter(confirmed_at__isnull=False)
        return queryset


class LossReportFilterSet(_AgencyFilterMixin, QuickSelects, django_filters.FilterSet):
    device_path, name_path = "device__", ""
    q = django_filters.CharFilter(method="filter_search", label=SEARCH_LABEL, widget=search_input())
    province = _province_filter()
    agency = django_filters.ModelChoiceFilter(
        widget=QuickSelect,
        queryset=Organization.objects.none(),
        label=_("Cơ quan"),
        empty_label=_("Tất cả"),
    )

    class Meta:
        model = LossReport
        fields = ["q", "province", "agency"]

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        self._limit_agencies(queryset, request)


class ObligationFilterSet(_AgencyFilterMixin, QuickSelects, django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_search",
        label=_("Số hiệu thiết bị, chứng thư hoặc tên thuê bao"),
        widget=search_input(),
    )
    STATES = (
        ("open", _("Chưa xong")),
        ("overdue", _("Quá hạn")),
        ("handed", _("Đã bàn giao, chờ xác nhận")),
        ("closed", _("Đã xong")),
    )
    state = django_filters.ChoiceFilter(
        method="filter_state", choices=STATES, label=_("Tình trạng"), empty_label=_("Tất cả")
    )
    reason = django_filters.ChoiceFilter(
        choices=ReturnReason.choices, label=_("Lý do"), empty_label=_("Tất cả")
    )
    province = _province_filter()
    agency = django_filters.ModelChoiceFilter(
        widget=QuickSelect,
        queryset=Organization.objects.none(),
        label=_("Cơ quan"),
        empty_label=_("Tất cả"),
    )

    class Meta:
        model = ReturnObligation
        fields = ["q", "state", "reason", "province", "agency"]

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        data = data.copy() if data is not None else {}
        data.setdefault("state", "open")
        super().__init__(data, queryset, request=request, **kwargs)
        self._limit_agencies(queryset, request)

    def filter_search(self, queryset, name, value):
        value = nfc(value or "")
        if not value:
            return queryset
        return queryset.filter(
            Q(device__serial=value.upper())
            | Q(certificate_serial=value.upper())
            | folded_contains("person__full_name", value)
            | folded_contains("device__holder__full_name", value)
        )

    def filter_state(self, queryset, name, value):
        if value == "open":
            return queryset.open()
        if value == "overdue":
            return queryset.overdue(timezone.localdate())
        if value == "handed":
            return queryset.open().filter(handed_over_on__isnull=False)
        if value == "closed":
            return queryset.filter(closed_at__isnull=False)
        return queryset
