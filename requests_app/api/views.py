"""Letters and their rows over the API, scoped like the pages: reads, and the writes of
`writes.py` through the same services (docs/architecture.md §2.8)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from portal.api.idempotency import idempotent
from portal.api.pagination import CursorPage
from portal.api.problems import ProblemSerializer
from portal.api.schema import documented_reads, problems
from privacy.api_disclosure import (
    FULL_PROBLEMS,
    MaskedFieldsMixin,
    api_disclosure,
    full_parameters,
)
from requests_app import services
from requests_app.api import ca_sheet, writes
from requests_app.disclosure import ROW_KEYS, row_subject
from requests_app.filters import CertRequestFilterSet
from requests_app.models import CertRequest, RequestRow

# The row's fields an answer masks unless asked in full (`?full=`).
ROW_FULL_FIELDS = {
    name: ROW_KEYS[name] for name in ("date_of_birth", "national_id", "id_issue_date", "mobile")
}


def _masked(help_text):
    return serializers.CharField(read_only=True, allow_null=True, help_text=help_text)


class RowSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    # ID number, birth and ID issue dates, mobile masked unless asked in full (`?full=`)
    masked_fields = ROW_FULL_FIELDS
    date_of_birth = _masked(_("Ngày sinh (yyyy-mm-dd), đã che (**/**/1985) trừ khi yêu cầu."))
    national_id = _masked(_("Số định danh cá nhân, đã che (********1234) trừ khi yêu cầu."))
    id_issue_date = _masked(_("Ngày cấp (yyyy-mm-dd), đã che (**/**/2021) trừ khi yêu cầu."))
    mobile = _masked(_("Số điện thoại di động, đã che (091****678) trừ khi yêu cầu."))
    certificate = serializers.CharField(source="certificate.serial", default=None, allow_null=True)
    result_certificate = serializers.CharField(
        source="result_certificate.serial", default=None, allow_null=True
    )

    class Meta:
        model = RequestRow
        fields = [
            "position",
            "full_name",
            "date_of_birth",
            "national_id",
            "id_issue_date",
            "id_issue_place",
            "mobile",
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
    """A letter without its rows (a letter may have thousands): their number, and the address
    of its rows endpoint, which pages them by cursor (docs/api.md §9, §12.6)."""

    agency = serializers.CharField(source="agency.name")
    agency_code = serializers.CharField(
        source="agency.code",
        allow_null=True,
        help_text=_(
            "Mã định danh điện tử của cơ quan (Quyết định 20/2020/QĐ-TTg), null khi chưa có."
        ),
    )
    row_count = serializers.IntegerField(read_only=True, help_text=_("Số dòng của văn bản."))
    rows_url = serializers.SerializerMethodField(
        help_text=_("Địa chỉ danh sách các dòng của văn bản (GET, phân trang theo con trỏ).")
    )

    class Meta:
        model = CertRequest
        fields = [
            "id",
            "form",
            "agency",
            "agency_code",
            "status",
            "number",
            "issued_on",
            "due_on",
            "row_count",
            "rows_url",
        ]

    @extend_schema_field(serializers.URLField())
    def get_rows_url(self, cert_request) -> str:
        path = reverse("cert-request-rows", args=[cert_request.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class RowCursorPage(CursorPage):
    """A letter's rows in their order (STT), a page at a time: each page one range of the
    unique index on (letter, STT)."""

    ordering = "position"


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
        # The row count as a correlated subquery: PostgreSQL evaluates it after the page's
        # LIMIT, for the letters answered only (a GROUP BY would join every visible letter's
        # rows first).
        return (
            CertRequest.objects.visible_to(self.request.user)
            .select_related("agency")
            .with_row_count()
        )  # newest first by the cursor's ordering (portal.api.pagination.CursorPage)

    def _answer(self, cert_request, code=status.HTTP_200_OK):
        letter = self.get_queryset().get(pk=cert_request.pk)
        return Response(self.get_serializer(letter).data, status=code)

    @extend_schema(
        summary=_("Các dòng của văn bản"),
        description=_(
            "Các dòng của văn bản theo số thứ tự, từng trang (con trỏ: theo địa chỉ “next”); "
            "văn bản ngoài phạm vi của bạn là lỗi 404. Số định danh, ngày sinh, ngày cấp, số "
            "điện thoại được che trừ khi yêu cầu “full” kèm “reason”."
        ),
        parameters=full_parameters(ROW_FULL_FIELDS),
        responses={
            200: RowSerializer(many=True),
            **problems(
                400,
                401,
                404,
                status_404=_(
                    "Không có văn bản này trong phạm vi của bạn, hoặc con trỏ trang không hợp lệ."
                ),
            ),
            **FULL_PROBLEMS,
        },
        operation_id="van_ban_dong_list",
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="dong",
        pagination_class=RowCursorPage,
        filter_backends=[],  # the letters' filters do not apply to one letter's rows
    )
    def rows(self, request, pk=None, format=None):
        cert_request = self.get_object()
        disclosure = api_disclosure(request, ROW_FULL_FIELDS)
        rows = cert_request.rows.select_related("certificate__person", "result_certificate")
        page = self.paginate_queryset(rows)
        data = RowSerializer(page, many=True, context={"disclosure": disclosure}).data
        disclosure.record(
            by=request.user, subjects=[row_subject(row) for row in page], obj=cert_request
        )
        return self.get_paginated_response(data)

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
    @rows.mapping.post
    @rows.mapping.put
    @idempotent
    def rows_add(self, request, pk=None, format=None):
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
        methods=["POST"],
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
    @action(
        detail=True,
        methods=["post"],
        url_path="bang-ca",
        pagination_class=RowCursorPage,
        filter_backends=[],  # the letters' filters do not apply to one letter's rows
    )
    @idempotent
    def ca_sheet_rows(self, request, pk=None, format=None):
        data = _valid(ca_sheet.CaSheetSerializer, request)
        cert_request = self.get_object()
        ca_sheet.ca_sheet_add(cert_request=cert_request, rows=data["rows"], user=request.user)
        return self._answer(cert_request)

    @extend_schema(
        methods=["GET"],
        summary=_("Đọc các dòng theo bảng 19 cột của Cục CTS&BMTT"),
        description=_(
            "Các dòng của văn bản Mẫu 01 theo 19 cột của bảng Cục CTS&BMTT, từng trang theo "
            "số thứ tự. Cán bộ Cục CTS&BMTT nhận giá trị đầy đủ (bảng là căn cứ để cấp chứng "
            "thư) và mỗi lần đọc được ghi vào nhật ký truy cập dữ liệu cá nhân; người khác "
            "nhận số định danh, ngày sinh, ngày cấp, số điện thoại đã che, trừ khi yêu cầu "
            "“full” kèm “reason” và vai trò được xem đầy đủ."
        ),
        parameters=full_parameters(ca_sheet.FULL_FIELDS),
        responses={
            200: ca_sheet.CaSheetRowSerializer(many=True),
            **problems(400, 401, 404),
            **FULL_PROBLEMS,
            **problems(
                422,
                status_422=_(
                    "Văn bản không phải Mẫu 01, hoặc có “full” mà thiếu lý do (“reason”)."
                ),
            ),
        },
        operation_id="van_ban_bang_ca_doc",
    )
    @ca_sheet_rows.mapping.get
    def ca_sheet_read(self, request, pk=None, format=None):
        cert_request = self.get_object()
        disclosure = ca_sheet.ca_sheet_disclosure(request, cert_request)
        rows = cert_request.rows.select_related("certificate__person")
        page = self.paginate_queryset(rows)
        data = [ca_sheet.ca_sheet_line(row, disclosure) for row in page]
        disclosure.record(
            by=request.user, subjects=[row_subject(row) for row in page], obj=cert_request
        )
        return self.get_paginated_response(data)

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
    def signed_upload(self, request, pk=None, format=None):
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
