"""Read-only JSON for letters and their rows, scoped like the pages. Workflow moves stay in
the pages for now; an API action would call the same services (docs/architecture.md §2.8)."""

from django.db.models import Prefetch
from rest_framework import serializers, viewsets

from requests_app.filters import CertRequestFilterSet
from requests_app.models import CertRequest, RequestRow


class RowSerializer(serializers.ModelSerializer):
    certificate = serializers.CharField(source="certificate.serial", default=None)
    result_certificate = serializers.CharField(source="result_certificate.serial", default=None)

    class Meta:
        model = RequestRow
        fields = [
            "position",
            "full_name",
            "organization_name",
            "service_name",
            "email",
            "certificate",
            "renew",
            "change_info",
            "revoke_reason",
            "outcome",
            "outcome_note",
            "result_certificate",
        ]


class CertRequestSerializer(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.name")
    rows = RowSerializer(many=True)

    class Meta:
        model = CertRequest
        fields = ["id", "form", "agency", "status", "number", "issued_on", "due_on", "rows"]


class CertRequestViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CertRequestSerializer
    filterset_class = CertRequestFilterSet

    def get_queryset(self):
        rows = RequestRow.objects.select_related("certificate", "result_certificate")
        return (
            CertRequest.objects.visible_to(self.request.user)
            .select_related("agency")
            .prefetch_related(Prefetch("rows", queryset=rows))
            .order_by("-created_at", "-pk")
        )
