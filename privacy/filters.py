"""The access log's one FilterSet (docs/architecture.md §2.7): the data protection officer's
search by actor, subject, dates, channel and object (docs/privacy.md §access log). Every
condition is served by an index of `privacy_access` or `privacy_accesssubject`."""

import datetime as dt
from dataclasses import dataclass

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import Person
from agencies.validators import national_id_validator, nfc
from portal.field_crypto import blind_index
from portal.lib.widgets import QuickSelects
from privacy.choices import ACCESS_OBJECT_TYPES, AccessChannel
from privacy.models import Access, AccessSubject

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
FIRST_YEAR, LAST_YEAR = 2000, 2100
PREFIX = "*"
# A name matching more people than this asks for more of it (or the ID number): the subjects'
# conditions stay short lists of ids and indexes, each served by an index.
NAME_MATCHES_MAX = 200


def _within_years(day: dt.date) -> None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValidationError(
            _("Hãy nhập ngày trong khoảng năm %(first)d đến năm %(last)d.")
            % {"first": FIRST_YEAR, "last": LAST_YEAR},
            code="year",
        )


def _date_filter(label, method):
    return django_filters.DateFilter(
        label=label,
        method=method,
        input_formats=DATE_FORMATS,
        validators=[_within_years],
        widget=forms.TextInput(
            attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"}
        ),
        error_messages={"invalid": _("Ngày không hợp lệ: hãy nhập theo dạng dd/mm/yyyy.")},
    )


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@dataclass(frozen=True)
class NameMatches:
    person_ids: tuple[int, ...]
    indexes: tuple[str, ...]

    def __bool__(self) -> bool:
        return True  # no one matching is a search that finds nothing, not no search


class AccessSearchForm(forms.Form):
    """The checks that span two inputs: a date range in order, an object's number with its
    type."""

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("Ngày kết thúc phải từ ngày bắt đầu trở đi."))
        if data.get("object_id") and not data.get("object_type"):
            self.add_error("object_type", _("Hãy chọn loại đối tượng của mã đã nhập."))
        return data

    def clean_name(self):
        """The people whose name contains the words typed, as their ids and ID numbers'
        indexes; too many is an error rather than a slow page. Accents count: the folded
        search of the lists (`portal_fold`) has no index and would read every person of the
        country (the officer's search is not narrowed by a scope), a plain case-insensitive
        match reads them ten times faster."""
        value = nfc(self.cleaned_data.get("name") or "")
        if not value:
            return None
        people = list(
            Person.objects.filter(full_name__icontains=value)
            .order_by()
            .values_list("pk", "national_id_index")[: NAME_MATCHES_MAX + 1]
        )
        if len(people) > NAME_MATCHES_MAX:
            raise ValidationError(
                _(
                    "Họ tên này khớp với hơn %(max)d người: hãy gõ đầy đủ hơn, hoặc tìm theo số "
                    "định danh cá nhân."
                )
                % {"max": NAME_MATCHES_MAX},
                code="too_many",
            )
        return NameMatches(
            tuple(pk for pk, _index in people), tuple(index for _pk, index in people if index)
        )


class AccessFilterSet(QuickSelects, django_filters.FilterSet):
    actor = django_filters.CharFilter(
        method="filter_actor",
        label=_("Người truy cập"),
        help_text=_("Tên đăng nhập đúng; thêm * ở cuối để tìm theo phần đầu, ví dụ canbo.*"),
        max_length=151,
    )
    national_id = django_filters.CharFilter(
        method="filter_national_id",
        label=_("Số định danh của chủ thể"),
        validators=[national_id_validator],
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"max_length": _("Số định danh cá nhân phải gồm đúng 12 chữ số.")},
    )
    name = django_filters.CharFilter(
        method="filter_name",
        label=_("Họ tên chủ thể"),
        help_text=_("Gõ có dấu; không phân biệt chữ hoa, chữ thường."),
        max_length=128,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    since = _date_filter(_("Từ ngày"), "filter_since")
    until = _date_filter(_("Đến ngày"), "filter_until")
    channel = django_filters.ChoiceFilter(
        choices=AccessChannel.choices, label=_("Cách truy cập"), empty_label=_("Tất cả")
    )
    object_type = django_filters.ChoiceFilter(
        choices=ACCESS_OBJECT_TYPES,
        label=_("Loại đối tượng"),
        empty_label=_("Tất cả"),
    )
    object_id = django_filters.CharFilter(
        field_name="object_id", label=_("Mã đối tượng"), max_length=64
    )

    class Meta:
        model = Access
        form = AccessSearchForm
        fields = [
            "actor",
            "national_id",
            "name",
            "since",
            "until",
            "channel",
            "object_type",
            "object_id",
        ]

    def filter_actor(self, queryset, name, value):
        """The username stored with the access (the account's at the time): exact, or a
        prefix when it ends with `*`."""
        value = nfc(value or "")
        if value.endswith(PREFIX):
            prefix = value.rstrip(PREFIX)
            return queryset.filter(actor_label__startswith=prefix) if prefix else queryset
        return queryset.filter(actor_label=value) if value else queryset

    def filter_national_id(self, queryset, name, value):
        """The accesses that named this ID number's holder: by the blind index recorded with
        the access, or by the person who holds the number now."""
        index = blind_index(value)
        # at most one holder (a unique index): its id as a value, so that both conditions are
        # index lookups rather than a subquery inside an OR
        holders = list(Person.objects.filter(national_id_index=index).values_list("pk", flat=True))
        return _about(queryset, Q(id_index=index) | Q(person_id__in=holders))

    def filter_name(self, queryset, name, value: NameMatches):
        """The people the form found by name (`clean_name`), as subjects of an access by
        their record or by their ID number's index."""
        return _about(queryset, Q(person_id__in=value.person_ids) | Q(id_index__in=value.indexes))

    def filter_since(self, queryset, name, value):
        return queryset.filter(at__gte=_day_start(value))

    def filter_until(self, queryset, name, value):
        return queryset.filter(at__lt=_day_start(value + dt.timedelta(days=1)))


def _about(queryset, subjects: Q):
    return queryset.filter(pk__in=AccessSubject.objects.filter(subjects).values("access_id"))
