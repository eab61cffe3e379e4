from django.contrib import admin

from devices.models import Device


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["serial", "kind", "status", "agency", "holder"]
    list_filter = ["kind", "status"]
    search_fields = ["serial", "iccid", "phone"]
    raw_id_fields = ["agency", "holder"]
