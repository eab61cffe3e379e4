"""Letters and their rows over the API, scoped like the pages: reads, and the writes of
`writes.py` through the same services (docs/architecture.md §2.8)."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from portal.api.idempotency import idempotent
from portal.api.problems import ProblemSerializer
from portal.api.schema import documented_reads, problems
from requests_app import services
from requests_app.api import ca_sheet, writes
from requests_app.filters import CertRequestFilterSet
from requests_app.models import CertRequest, RequestRow


class RowSerializer(serializers.ModelSerializer):
    certificate = serializers.CharField(source="certificate.serial", default=None, allow_null=True)
    result_certificate = serializers.CharField(
        source="result_certificate.serial", default=None, allow_null=True
    )

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


PROBLEMS = {
    code: OpenApiResponse(ProblemSerializer, description=text)
    for code, text in [
        (400, _("Dữ liệu không hợp lệ (errors: trường → thông báo).")),
        (401, _("Khóa API không hợp lệ, hết hạn hoặc đã thu hồi.")),
        (403, _("Không có quyền thực hiện thao tác này.")),
        (404, _("Không có văn bản này trong phạm vi của bạn.")),
        (409, _("Người khác vừa thao tác, hoặc yêu cầu cùng khóa đang chạy.")),
        (422, _("Quy tắc nghiệp vụ từ chối thao tác (thông báo tiếng Việt).")),
    ]
} | problems(415)
ACTION = OpenApiParameter(
    "verb",
    str,
    OpenApiParameter.PATH,
    enum=writes.API_ACTIONS,
    description=_("Thao tác trên văn bản."),
)
KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=_("Gửi lại cùng khóa: yêu cầu chỉ được thực hiện một lần (24 giờ)."),
)


@extend_schema_view(**documented_reads(CertRequestSerializer))
class CertRequestViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CertRequestSerializer
    filterset_class = CertRequestFilterSet

    def get_queryset(self):
        rows = RequestRow.objects.select_related("certificate", "result_certificate")
        return (
            CertRequest.objects.visible_to(self.request.user)
            .select_related("agency")
            .prefetch_related(Prefetch("rows", queryset=rows))
        )  # newest first by the cursor's ordering (portal.api.pagination.CursorPage)

    def _answer(self, cert_request, code=status.HTTP_200_OK):
        return Response(
            CertRequestSerializer(self.get_queryset().get(pk=cert_request.pk)).data, status=code
        )

    @extend_schema(
        summary=_("Tạo văn bản đề nghị"),
        description=_(
            "Tạo dự thảo văn bản cùng phần 1 và các dòng; các dòng được kiểm tra như trong trình soạn thảo, lỗi theo từng dòng."
        ),
        request=writes.CertRequestCreateSerializer,
        responses={201: CertRequestSerializer, **PROBLEMS},
        parameters=[KEY],
    )
    @idempotent
    def create(self, request):
        data = _valid(writes.CertRequestCreateSerializer, request)
        cert_request = writes.letter_create(data=data, user=request.user)
        return self._answer(cert_request, status.HTTP_201_CREATED)

    @extend_schema(
        methods=["POST"],
        summary=_("Thêm dòng vào dự thảo"),
        description=_("Thêm các dòng vào văn bản đang là dự thảo: tất cả hoặc không dòng nào."),
        request=writes.RowsSerializer,
        responses={200: CertRequestSerializer, **PROBLEMS},
        parameters=[KEY],
        operation_id="van_ban_dong_them",
    )
    @extend_schema(
        methods=["PUT"],
        summary=_("Thay toàn bộ các dòng của dự thảo"),
        description=_(
            "Thay mọi dòng của văn bản đang là dự thảo bằng danh sách gửi lên; có lỗi thì giữ nguyên các dòng cũ."
        ),
        request=writes.RowsSerializer,
        responses={200: CertRequestSerializer, **PROBLEMS},
        operation_id="van_ban_dong_thay",
    )
    @action(detail=True, methods=["post", "put"], url_path="dong")
    @idempotent
    def rows_add(self, request, pk=None):
        data = _valid(writes.RowsSerializer, request)
        cert_request = self.get_object()
        writes.rows_add(
            cert_request=cert_request,
            rows=data["rows"],
            user=request.user,
            replace=request.method == "PUT",
        )
        return self._answer(cert_request)

    @extend_schema(
        summary=_("Thêm các dòng theo bảng 19 cột của Cục CTS&BMTT"),
        description=_(
            "Văn bản Mẫu 01 đang là dự thảo: thêm các dòng của bảng 19 cột, mỗi cột một "
            "trường, đọc và kiểm tra đúng như khi nhập tệp Excel của bảng; có dòng lỗi thì "
            "không thêm dòng nào, lỗi theo chỉ số dòng (từ 0) và tên trường."
        ),
        request=ca_sheet.CaSheetSerializer,
        responses={200: CertRequestSerializer, **PROBLEMS},
        parameters=[KEY],
        operation_id="van_ban_bang_ca",
    )
    @action(detail=True, methods=["post"], url_path="bang-ca")
    @idempotent
    def ca_sheet_rows(self, request, pk=None):
        data = _valid(ca_sheet.CaSheetSerializer, request)
        cert_request = self.get_object()
        ca_sheet.ca_sheet_add(cert_request=cert_request, rows=data["rows"], user=request.user)
        return self._answer(cert_request)

    @extend_schema(
        summary=_("Tải lên bản đã ký số bằng thiết bị riêng"),
        description=_(
            "Văn bản đã cấp số để ký ngoài cổng: lãnh đạo cơ quan tải lên tệp PDF đã ký số. "
            "Cổng kiểm tra chữ ký (nguyên vẹn, bao trùm văn bản, chuỗi về CA gốc tin cậy, chưa "
            "thu hồi, của cơ quan soạn, có chữ ký cá nhân của lãnh đạo) và nội dung trùng bản "
            "cổng tạo; từ chối là lỗi 422 với mã của bước kiểm tra không đạt, không lưu gì."
        ),
        request={"multipart/form-data": writes.SignedUploadSerializer},
        responses={200: CertRequestSerializer, **PROBLEMS},
        parameters=[KEY],
        operation_id="van_ban_ban_da_ky",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="ban-da-ky",
        parser_classes=[MultiPartParser, FormParser],
    )
    @idempotent
    def signed_upload(self, request, pk=None):
        data = _valid(writes.SignedUploadSerializer, request)
        cert_request = self.get_object()
        services.letter_signed_upload(
            cert_request=cert_request, uploaded=data["file"], by=request.user
        )
        return self._answer(cert_request)

    @extend_schema(
        summary=_("Thao tác trên văn bản"),
        description=_(
            "Một thao tác của bảng vòng đời: trình, hủy, ký ban hành (cần mật khẩu), trả lại, "
            "chuyển, xử lý (cần mật khẩu), từ chối, quyết định từng dòng."
        ),
        request=writes.ActionSerializer,
        responses={200: CertRequestSerializer, **PROBLEMS},
        parameters=[ACTION, KEY],
        operation_id="van_ban_act",
    )
    @action(
        detail=True, methods=["post"], url_path="(?P<verb>" + "|".join(writes.API_ACTIONS) + ")"
    )
    @idempotent
    def act(self, request, pk=None, verb=None):
        data = _valid(writes.ActionSerializer, request)
        cert_request = self.get_object()
        writes.letter_act(request=request, cert_request=cert_request, name=verb, data=data)
        return self._answer(cert_request)


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
