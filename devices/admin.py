"""Admin: devices and their documents, read-only where the record is a signed paper or an
append-only chain (changes go through the services, which keep the custody chain)."""

from django import forms
from django.contrib import admin

from devices.models import (
    CustodyRecord,
    Device,
    HandoverItem,
    HandoverNotice,
    LossReport,
    ReturnMinutes,
    ReturnMinutesItem,
    ReturnObligation,
)
from portal.field_crypto import blind_index
from privacy.forms import KeepMaskedMixin


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CustodyInline(ReadOnlyInline):
    model = CustodyRecord
    fields = ["status", "holder_kind", "agency", "person", "held_from", "held_until",
              "handed_by", "document_ref", "note"]  # fmt: skip


class DeviceAdminForm(KeepMaskedMixin, forms.ModelForm):
    """The SIM's number is never written into the page, even for an administrator
    (docs/privacy.md §masking): its input shows it masked and keeps it when left blank. The admin
    gives it its model and fields (`ModelAdmin.get_form`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.keep_masked({"phone": ("devices.Device.phone", self.instance.phone)})


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    form = DeviceAdminForm
    list_display = ["serial", "kind", "status", "agency", "holder"]
    list_filter = ["kind", "status"]
    search_fields = ["serial", "iccid"]
    raw_id_fields = ["agency", "holder"]
    readonly_fields = ["status"]
    inlines = [CustodyInline]

    def get_search_results(self, request, queryset, search_term):
        """Also a whole phone number, by its blind index (it is encrypted)."""
        found, duplicates = super().get_search_results(request, queryset, search_term)
        return found | queryset.filter(phone_index=blind_index(search_term)), duplicates


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class HandoverItemInline(ReadOnlyInline):
    model = HandoverItem


@admin.register(HandoverNotice)
class HandoverNoticeAdmin(ReadOnlyAdmin):
    list_display = ["number", "agency", "handed_on", "sent_at"]
    search_fields = ["number", "agency__name"]
    inlines = [HandoverItemInline]


class ReturnMinutesItemInline(ReadOnlyInline):
    model = ReturnMinutesItem


@admin.register(ReturnMinutes)
class ReturnMinutesAdmin(ReadOnlyAdmin):
    list_display = ["number", "agency", "receiver", "held_at", "confirmed_at"]
    search_fields = ["number", "agency__name"]
    inlines = [ReturnMinutesItemInline]


@admin.register(ReturnObligation)
class ReturnObligationAdmin(ReadOnlyAdmin):
    list_display = ["device", "agency", "reason", "notified_on", "due_on", "closed_at"]
    list_filter = ["reason"]
    search_fields = ["device__serial", "certificate_serial"]


@admin.register(LossReport)
class LossReportAdmin(ReadOnlyAdmin):
    list_display = ["number", "agency", "device", "lost_on"]
    search_fields = ["number", "device__serial"]
