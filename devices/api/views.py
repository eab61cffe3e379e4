"""Read-only JSON for the device inventory, scoped like the pages."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from devices.filters import DeviceFilterSet
from devices.models import Device
from portal.api.responses import problems


class DeviceSerializer(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.name", default=None, allow_null=True)
    holder = serializers.CharField(source="holder.full_name", default=None, allow_null=True)

    class Meta:
        model = Device
        fields = ["id", "kind", "serial", "iccid", "phone", "carrier", "status", "agency", "holder"]


@extend_schema_view(
    list=extend_schema(responses={200: DeviceSerializer(many=True), **problems(400, 401, 404)}),
    retrieve=extend_schema(responses={200: DeviceSerializer, **problems(401, 404)}),
)
class DeviceViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = DeviceSerializer
    filterset_class = DeviceFilterSet

    def get_queryset(self):
        # Newest first by the cursor's ordering (portal.api.pagination.CursorPage).
        return Device.objects.visible_to(self.request.user).select_related("agency", "holder")
