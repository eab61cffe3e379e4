"""Read-only JSON for the certificate registry: the same scope (visible_to) and the same
FilterSet as the pages (docs/architecture.md §2.7-§2.8)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_view
from rest_framework import serializers, viewsets

from certificates.filters import CertificateFilterSet
from certificates.models import Certificate
from portal.api.schema import documented_reads


class CertificateSerializer(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.name")
    agency_code = serializers.CharField(
        source="agency.code",
        allow_null=True,
        help_text=_(
            "Mã định danh điện tử của cơ quan (Quyết định 20/2020/QĐ-TTg), null khi chưa có."
        ),
    )
    device = serializers.CharField(source="device.serial", default=None, allow_null=True)
    key_at_risk = serializers.BooleanField(
        read_only=True,
        help_text=_(
            "Thiết bị lưu khóa bí mật đã báo mất (Mẫu 09) và việc thu hồi chưa được công bố "
            "trên CRL: khóa có nguy cơ bị lộ, không được tin chữ ký của chứng thư này."
        ),
    )

    class Meta:
        model = Certificate
        fields = [
            "serial",
            "subject_kind",
            "common_name",
            "email",
            "subject_dn",
            "agency",
            "agency_code",
            "device",
            "not_before",
            "not_after",
            "status",
            "renewal_count",
            "revoked_at",
            "revocation_reason",
            "key_at_risk",
        ]


@extend_schema_view(**documented_reads(CertificateSerializer))
class CertificateViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CertificateSerializer
    filterset_class = CertificateFilterSet
    lookup_field = "serial"

    def get_queryset(self):
        # Newest first by the cursor's ordering (portal.api.pagination.CursorPage).
        return (
            Certificate.objects.visible_to(self.request.user)
            .select_related("agency", "device")
            .with_key_at_risk()
        )
