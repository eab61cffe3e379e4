"""Read-only JSON for the device inventory, scoped like the pages."""

from rest_framework import serializers, viewsets

from devices.filters import DeviceFilterSet
from devices.models import Device


class DeviceSerializer(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.name", default=None)
    holder = serializers.CharField(source="holder.full_name", default=None)

    class Meta:
        model = Device
        fields = ["id", "kind", "serial", "iccid", "phone", "carrier", "status", "agency", "holder"]


class DeviceViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = DeviceSerializer
    filterset_class = DeviceFilterSet

    def get_queryset(self):
        return (
            Device.objects.visible_to(self.request.user)
            .select_related("agency", "holder")
            .order_by("kind", "serial", "pk")
        )
