"""A lost device over the API: the flow that starts from a device and ends in a letter
(paperwork/flows.py, docs/architecture.md §1). The Mẫu 09 minutes are recorded
and the Mẫu 05 revoking the device's valid certificates is drafted, through the same
`device_loss_report` and the same `LossForm` checks as the page
(`paperwork.views.flows.device_report_loss`)."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from devices.forms import LossForm
from devices.models import Device
from devices.permissions import device_actions
from paperwork import flows as device_flows
from portal.api.idempotency import idempotent
from portal.api.schema import IDEMPOTENCY_KEY, problems


class LossInputSerializer(serializers.Serializer):
    representative_name = serializers.CharField(
        max_length=128, help_text=_("Đại diện cơ quan (họ và tên).")
    )
    representative_position = serializers.CharField(max_length=128)
    lost_on = serializers.DateField(help_text=_("Ngày thất lạc (không sau hôm nay)."))
    lost_time = serializers.TimeField(help_text=_("Giờ thất lạc (hh:mm)."))
    lost_place = serializers.CharField(max_length=255)
    circumstances = serializers.CharField(max_length=2000)
    held_place = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        help_text=_("Nơi lập biên bản; mặc định: tên cơ quan."),
    )


class LossOutputSerializer(serializers.Serializer):
    loss_report = serializers.IntegerField(source="report.pk", help_text=_("Mã biên bản Mẫu 09."))
    number = serializers.CharField(source="report.number")
    letter = serializers.IntegerField(
        source="letter.pk",
        allow_null=True,
        default=None,
        help_text=_("Văn bản Mẫu 05 đã soạn sẵn (nếu thiết bị còn chứng thư có hiệu lực)."),
    )
    draft_error = serializers.CharField(
        help_text=_("Vì sao chưa soạn được Mẫu 05 (biên bản Mẫu 09 vẫn được lập).")
    )


class DeviceLossView(APIView):
    """POST /api/v1/thiet-bi/{id}/bao-mat/"""

    @extend_schema(
        summary=_("Báo mất thiết bị (Mẫu 09, rồi Mẫu 05)"),
        description=_(
            "Lập biên bản Mẫu 09 cho thiết bị bị mất và soạn sẵn văn bản Mẫu 05 đề nghị thu hồi "
            "các chứng thư còn hiệu lực trên thiết bị, để cán bộ trình ký ngay. Chỉ cán bộ đầu "
            "mối của cơ quan giữ thiết bị."
        ),
        request=LossInputSerializer,
        responses={
            201: LossOutputSerializer,
            **problems(status_404=_("Không có thiết bị này trong phạm vi của bạn.")),
        },
        parameters=[IDEMPOTENCY_KEY],
        operation_id="thiet_bi_bao_mat",
    )
    @idempotent
    def post(self, request, pk: int):
        serializer = LossInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        device = get_object_or_404(
            Device.objects.visible_to(request.user).select_related(
                "agency", "agency__province", "holder"
            ),
            pk=pk,
        )
        if "lose" not in device_actions(request.user, device):
            raise PermissionDenied
        form = LossForm(
            {
                **data,
                "lost_on": data["lost_on"].isoformat(),
                "lost_time": data["lost_time"].strftime("%H:%M"),
                "held_place": data.get("held_place") or device.agency.name,
            }
        )
        if not form.is_valid():
            raise serializers.ValidationError(
                {k: [str(m) for m in v] for k, v in form.errors.items()}
            )
        cleaned = form.cleaned_data
        outcome = device_flows.device_loss_report(
            device=device,
            lost_on=cleaned["lost_on"],
            lost_place=cleaned["lost_place"],
            circumstances=cleaned["circumstances"],
            held_place=cleaned["held_place"],
            by=request.user,
            lost_time=cleaned["lost_time"],
            representative_name=cleaned["representative_name"],
            representative_position=cleaned["representative_position"],
        )
        return Response(LossOutputSerializer(outcome).data, status=status.HTTP_201_CREATED)
