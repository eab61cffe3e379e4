"""Approval requests over the API, with the pages' rules (approvals/views.py,
docs/approvals.md): list those in scope (`?cho_toi=1`: those waiting for the caller's
decision), read one, approve or reject one with the password (and one-time code) typed again,
withdraw one's own. Refusals are the services' (someone decided first, expired, one's own
request under any account): 400/409 problems with the Vietnamese message."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from agencies.accounts.reauth import reauth_verify
from approvals import services
from approvals.models import Approval
from portal.api.schema import documented_reads, problems

APPROVAL_PROBLEMS = problems(status_404=_("Không có đề nghị này trong phạm vi của bạn."))


class ApprovalSerializer(serializers.ModelSerializer):
    requested_by = serializers.CharField(source="requested_by.username")
    decided_by = serializers.CharField(source="decided_by.username", default=None)
    organization = serializers.CharField(source="organization.name", default=None)

    class Meta:
        model = Approval
        fields = [
            "id", "action", "object_key", "object_label", "count", "organization", "status",
            "requested_by", "requested_at", "reason", "expires_at", "decided_by",
            "decided_at", "decision_note", "ran_at", "outcome",
        ]  # fmt: skip
        read_only_fields = fields


class ConfirmSerializer(serializers.Serializer):
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, allow_blank=True,
        help_text=_("Mật khẩu của bạn, nhập lại để xác nhận."),
    )  # fmt: skip
    otp = serializers.CharField(
        max_length=32, required=False, allow_blank=True,
        help_text=_("Mã xác thực, khi tài khoản có xác thực hai lớp."),
    )  # fmt: skip


class ApproveSerializer(ConfirmSerializer):
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True)


class RejectSerializer(ConfirmSerializer):
    reason = serializers.CharField(max_length=1000)


class CancelSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True)


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@extend_schema_view(retrieve=documented_reads(ApprovalSerializer)["retrieve"])
class ApprovalViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ApprovalSerializer

    def get_queryset(self):
        return (
            Approval.objects.visible_to(self.request.user)
            .select_related("organization", "requested_by", "decided_by")
            .order_by("-pk")  # the cursor walks the newest first (docs/api.md §9)
        )

    @extend_schema(
        summary=_("Danh sách đề nghị phê duyệt"),
        responses={200: ApprovalSerializer(many=True), **problems(400, 401, 404)},
    )
    def list(self, request, *args, **kwargs):
        if request.query_params.get("cho_toi") == "1":
            return Response(
                ApprovalSerializer(services.approvals_awaiting(request.user), many=True).data
            )
        return super().list(request, *args, **kwargs)

    def _confirmed(self, request, serializer_class, purpose: str):
        data = _valid(serializer_class, request)
        approval = self.get_object()
        reauth_verify(
            request=request._request,
            password=data.get("password", ""),
            code=data.get("otp", ""),
            purpose=purpose,
            obj=approval,
        )
        return approval, data

    @extend_schema(
        summary=_("Phê duyệt đề nghị"),
        request=ApproveSerializer,
        responses={202: ApprovalSerializer, **APPROVAL_PROBLEMS},
        operation_id="phe_duyet_dong_y",
    )
    @action(detail=True, methods=["post"], url_path="phe-duyet")
    def approve(self, request, pk=None, format=None):
        approval, data = self._confirmed(request, ApproveSerializer, "approval.approve")
        approval = services.approval_approve(
            approval=approval, by=request.user, note=data.get("note", "")
        )
        return Response(ApprovalSerializer(approval).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary=_("Từ chối đề nghị"),
        request=RejectSerializer,
        responses={200: ApprovalSerializer, **APPROVAL_PROBLEMS},
        operation_id="phe_duyet_tu_choi",
    )
    @action(detail=True, methods=["post"], url_path="tu-choi")
    def reject(self, request, pk=None, format=None):
        approval, data = self._confirmed(request, RejectSerializer, "approval.reject")
        approval = services.approval_reject(
            approval=approval, by=request.user, reason=data["reason"]
        )
        return Response(ApprovalSerializer(approval).data)

    @extend_schema(
        summary=_("Hủy đề nghị của mình"),
        request=CancelSerializer,
        responses={200: ApprovalSerializer, **APPROVAL_PROBLEMS},
        operation_id="phe_duyet_huy",
    )
    @action(detail=True, methods=["post"], url_path="huy")
    def cancel(self, request, pk=None, format=None):
        data = _valid(CancelSerializer, request)
        approval = services.approval_cancel(
            approval=self.get_object(), by=request.user, note=data.get("note", "")
        )
        return Response(ApprovalSerializer(approval).data)
