"""JSON for the device inventory, scoped like the pages, and the device writes devices owns
(`writes.py`): the hand-over (Mẫu 07) and the hand-back (Mẫu 08)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from devices.api import stock, writes
from devices.exports import PHONE
from devices.filters import DeviceFilterSet
from devices.models import Device, HandoverNotice, ReturnMinutes
from portal.api.idempotency import idempotent
from portal.api.schema import IDEMPOTENCY_KEY, documented_reads, problems
from privacy.access import Subject
from privacy.api_disclosure import (
    FULL_PROBLEMS,
    DisclosingReadsMixin,
    MaskedFieldsMixin,
    full_parameters,
)

DEVICE_PROBLEMS = problems(
    status_403=_("Bạn không phải cán bộ đầu mối của cơ quan này."),
    status_404=_("Có cơ quan hoặc thiết bị không thuộc phạm vi của bạn."),
)
STOCK_PROBLEMS = problems(
    400,
    401,
    403,
    409,
    415,
    422,
    status_403=_("Chỉ cán bộ CA được nhập kho thiết bị."),
    status_422=_("Có dòng lỗi: errors theo chỉ số dòng (từ 0), không thiết bị nào được nhập."),
)


class DeviceSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    # a SIM's phone number masked unless asked in full (`?full=phone`)
    masked_fields = {"phone": PHONE}
    phone = serializers.CharField(
        read_only=True,
        help_text=_(
            "Số điện thoại ký số của SIM PKI, đã che (091****678) trừ khi yêu cầu “full=phone”."
        ),
    )
    agency = serializers.CharField(source="agency.name", default=None, allow_null=True)
    agency_code = serializers.CharField(
        source="agency.code",
        default=None,
        allow_null=True,
        help_text=_(
            "Mã định danh điện tử của cơ quan (Quyết định 20/2020/QĐ-TTg), null khi chưa có."
        ),
    )
    holder = serializers.CharField(source="holder.full_name", default=None, allow_null=True)

    class Meta:
        model = Device
        fields = [
            "id",
            "kind",
            "serial",
            "iccid",
            "phone",
            "carrier",
            "status",
            "agency",
            "agency_code",
            "holder",
        ]


class StockImportedSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text=_("Số thiết bị đã nhập kho."))
    devices = DeviceSerializer(many=True)


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@extend_schema_view(
    **documented_reads(
        DeviceSerializer, parameters=full_parameters(["phone"]), responses=FULL_PROBLEMS
    )
)
class DeviceViewSet(DisclosingReadsMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = DeviceSerializer
    filterset_class = DeviceFilterSet
    disclosed_fields = {"phone": PHONE}

    def get_queryset(self):
        # Newest first by the cursor's ordering (portal.api.pagination.CursorPage).
        return Device.objects.visible_to(self.request.user).select_related("agency", "holder")

    def disclosed_subjects(self, devices) -> list[Subject]:
        """The holders of the phone numbers answered in full."""
        return [
            Subject(device.holder_id, device.holder.national_id_index or "")
            for device in devices
            if device.phone and device.holder_id
        ]

    @extend_schema(
        summary=_("Bàn giao thiết bị cho thuê bao (Mẫu 07)"),
        description=_(
            "Ghi nhận bàn giao các thiết bị cho thuê bao (mỗi thuê bao đã ký nhận) và lập thông "
            "báo Mẫu 07 chờ lãnh đạo cơ quan ký số và gửi CA; tất cả thiết bị hoặc không thiết bị nào."
        ),
        request=writes.HandoverSerializer,
        responses={201: writes.HandoverNoticeSerializer, **DEVICE_PROBLEMS},
        parameters=[IDEMPOTENCY_KEY],
        operation_id="thiet_bi_ban_giao",
        filters=False,
    )
    @action(detail=False, methods=["post"], url_path="ban-giao", filterset_class=None)
    @idempotent
    def handover(self, request):
        notice = writes.handover(data=_valid(writes.HandoverSerializer, request), user=request.user)
        notices = HandoverNotice.objects.select_related("agency").prefetch_related("items")
        return Response(
            writes.HandoverNoticeSerializer(notices.get(pk=notice.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary=_("Bàn giao lại thiết bị cho CA (Mẫu 08)"),
        description=_(
            "Lập biên bản Mẫu 08 bàn giao lại các thiết bị phải trả (chứng thư đã thu hồi hoặc "
            "hết hạn) cho CA hoặc điểm tiếp nhận của tỉnh; chờ lãnh đạo ký số, bên nhận xác nhận."
        ),
        request=writes.MinutesSerializer,
        responses={201: writes.ReturnMinutesSerializer, **DEVICE_PROBLEMS},
        parameters=[IDEMPOTENCY_KEY],
        operation_id="thiet_bi_ban_giao_lai",
        filters=False,
    )
    @action(detail=False, methods=["post"], url_path="ban-giao-lai", filterset_class=None)
    @idempotent
    def hand_back(self, request):
        minutes = writes.hand_back(
            data=_valid(writes.MinutesSerializer, request), user=request.user
        )
        all_minutes = ReturnMinutes.objects.select_related("agency", "receiver")
        return Response(
            writes.ReturnMinutesSerializer(
                all_minutes.prefetch_related("items").get(pk=minutes.pk)
            ).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary=_("Nhập kho thiết bị của CA"),
        description=_(
            "Cán bộ CA nhập các thiết bị vào kho, như tệp Excel nhập kho: mỗi dòng được đọc và "
            "kiểm tra như một dòng của tệp (loại, số hiệu, trùng trong danh sách và trong hệ "
            "thống); tất cả thiết bị hoặc không thiết bị nào."
        ),
        request=stock.StockImportSerializer,
        responses={201: StockImportedSerializer, **STOCK_PROBLEMS},
        parameters=[IDEMPOTENCY_KEY],
        operation_id="thiet_bi_nhap_kho",
        filters=False,
    )
    @action(detail=False, methods=["post"], url_path="nhap-kho", filterset_class=None)
    @idempotent
    def stock_import(self, request):
        data = _valid(stock.StockImportSerializer, request)
        devices = stock.stock_import(rows=data["rows"], user=request.user)
        return Response(
            StockImportedSerializer({"count": len(devices), "devices": devices}).data,
            status=status.HTTP_201_CREATED,
        )
