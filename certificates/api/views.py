"""Read-only JSON for the certificate registry: the same scope (visible_to) and the same
FilterSet as the pages (docs/architecture.md §2.7-§2.8)."""

from rest_framework import serializers, viewsets

from certificates.filters import CertificateFilterSet
from certificates.models import Certificate


class CertificateSerializer(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.name")
    device = serializers.CharField(source="device.serial", default=None)

    class Meta:
        model = Certificate
        fields = [
            "serial",
            "subject_kind",
            "common_name",
            "email",
            "subject_dn",
            "agency",
            "device",
            "not_before",
            "not_after",
            "status",
            "renewal_count",
            "revoked_at",
            "revocation_reason",
        ]


class CertificateViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CertificateSerializer
    filterset_class = CertificateFilterSet
    lookup_field = "serial"

    def get_queryset(self):
        return (
            Certificate.objects.visible_to(self.request.user)
            .select_related("agency", "device")
            .order_by("-not_before", "pk")
        )
