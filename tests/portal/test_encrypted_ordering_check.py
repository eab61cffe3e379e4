"""portal.E024 (docs/privacy-at-rest.md, "What can no longer be done"): a model, an admin, a
list view or a FilterSet that sorts, groups, filters or searches by an encrypted field is
reported by `manage.py check`; the project itself declares none."""

import gc

import django_filters
from django.contrib import admin
from django.contrib.admin.sites import AdminSite
from django.core.checks import run_checks
from django.db import models
from django.db.models import F
from django.test.utils import isolate_apps
from django.views.generic import ListView

from agencies.models import Person
from portal.checks import (
    admin_errors,
    check_encrypted_ordering,
    filterset_errors,
    model_ordering_errors,
    view_errors,
)
from portal.field_crypto import BlindIndexField, EncryptedCharField, EncryptedDateField


def _fields(errors) -> list[str]:
    assert {error.id for error in errors} <= {"portal.E024"}
    return [error.msg.split(" uses ")[0] for error in errors]


def _official(ordering, name="Official"):
    """A model with encrypted fields, ordered by `ordering`, in the isolated registry."""
    return type(
        name,
        (models.Model,),
        {
            "__module__": __name__,
            "__str__": lambda self: self.name,
            "name": models.CharField(max_length=50),
            "national_id": EncryptedCharField(max_length=12, blind_index="national_id_index"),
            "national_id_index": BlindIndexField(),
            "born": EncryptedDateField(null=True),
            "Meta": type("Meta", (), {"app_label": "portal", "ordering": ordering}),
        },
    )


@isolate_apps("portal")
def test_a_model_ordered_by_an_encrypted_field_is_reported():
    assert _fields(model_ordering_errors(_official(["name", "-national_id"]))) == [
        "portal.Official.Meta.ordering ('-national_id')"
    ]
    by_birth = _official([F("born").desc(nulls_last=True)], name="ByBirth")
    assert len(model_ordering_errors(by_birth)) == 1
    assert model_ordering_errors(_official(["name", "-pk"], name="ByName")) == []


@isolate_apps("portal")
def test_a_model_ordered_through_a_relation_by_an_encrypted_field_is_reported():
    official_model = _official(["name"])

    class Posting(models.Model):
        official = models.ForeignKey(official_model, on_delete=models.CASCADE)

        class Meta:
            app_label = "portal"
            ordering = ["official__national_id"]

        def __str__(self) -> str:
            return str(self.official)

    assert len(model_ordering_errors(Posting)) == 1


@isolate_apps("portal")
def test_an_admin_sorting_searching_or_filtering_by_an_encrypted_field_is_reported():
    official = _official(["name"])

    class OfficialAdmin(admin.ModelAdmin):
        ordering = ["-national_id"]
        search_fields = ["name", "=national_id"]
        list_filter = ["born"]
        date_hierarchy = "born"
        list_display = ["name", "national_id", "id_tail"]

        @admin.display(ordering="national_id")
        def id_tail(self, obj):
            return obj.national_id[-4:]

    assert _fields(admin_errors(OfficialAdmin(official, AdminSite()))) == [
        "OfficialAdmin.ordering ('-national_id')",
        "OfficialAdmin.search_fields ('=national_id')",
        "OfficialAdmin.list_filter ('born')",
        "OfficialAdmin.date_hierarchy",
        "OfficialAdmin.list_display ('national_id', sortable)",
        "OfficialAdmin.list_display ('id_tail', admin_order_field)",
    ]


@isolate_apps("portal")
def test_an_admin_showing_an_encrypted_field_without_sorting_by_it_passes():
    official = _official(["name"])

    class OfficialAdmin(admin.ModelAdmin):
        search_fields = ["name"]
        list_display = ["name", "national_id", "id_tail"]
        sortable_by = ["name"]

        @admin.display(description="CCCD")
        def id_tail(self, obj):
            return obj.national_id[-4:]

    assert admin_errors(OfficialAdmin(official, AdminSite())) == []


@isolate_apps("portal")
def test_a_filterset_ordering_or_filtering_by_an_encrypted_field_is_reported():
    official = _official(["name"])

    class OfficialFilterSet(django_filters.FilterSet):
        sort = django_filters.OrderingFilter(fields=["name", "national_id"])
        mobile = django_filters.CharFilter(field_name="national_id")
        q = django_filters.CharFilter(method="search")  # its own method: not reported
        no_id = django_filters.BooleanFilter(field_name="national_id", lookup_expr="isnull")

        class Meta:
            model = official
            fields = ["name"]

        def search(self, queryset, name, value):
            return queryset

    assert _fields(filterset_errors(OfficialFilterSet)) == [
        "OfficialFilterSet.sort ('national_id')",
        "OfficialFilterSet.mobile ('national_id')",
    ]


@isolate_apps("portal")
def test_a_list_view_ordered_by_an_encrypted_field_is_reported():
    official = _official(["name"])

    class OfficialList(ListView):
        model = official
        ordering = "-born"

    class ByName(ListView):
        model = official
        ordering = ["name"]

    assert len(view_errors(OfficialList)) == 1
    assert view_errors(ByName) == []


def test_the_project_declares_no_ordering_by_an_encrypted_field():
    assert [error for error in run_checks() if error.id == "portal.E024"] == []


def test_the_check_walks_every_admin_site():
    class SortedByIdAdmin(admin.ModelAdmin):
        list_display = ["full_name", "national_id"]

    site = AdminSite(name="kiem-tra-e024")
    site.register(Person, SortedByIdAdmin)
    try:
        errors = [error for error in check_encrypted_ordering(None) if error.obj.admin_site is site]
        assert _fields(errors) == ["SortedByIdAdmin.list_display ('national_id', sortable)"]
    finally:
        site.unregister(Person)
        del site
        gc.collect()
