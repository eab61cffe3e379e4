"""What every API endpoint documents alike in the OpenAPI schema (drf-spectacular): its
problem responses (docs/api.md §9) and the `Idempotency-Key` header of a POST."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from portal.api.problems import ProblemSerializer

MEANINGS = {
    400: _("Dữ liệu không hợp lệ (errors: trường → thông báo)."),
    401: _("Khóa API không hợp lệ, hết hạn hoặc đã thu hồi."),
    403: _("Không có quyền thực hiện thao tác này."),
    404: _("Không có đối tượng này trong phạm vi của bạn."),
    409: _("Người khác vừa thao tác, hoặc yêu cầu cùng khóa đang chạy."),
    422: _("Quy tắc nghiệp vụ từ chối thao tác (thông báo tiếng Việt)."),
    415: _("Kiểu nội dung không được hỗ trợ: hãy gửi JSON."),
}


def problems(*codes: int, **meanings) -> dict:
    """The problem responses `codes` (all six when none is named); `meanings` overrides the
    description of one, keyed `status_404=...`."""
    chosen = codes or tuple(MEANINGS)  # a body of another media type is a 415 everywhere
    return {
        code: OpenApiResponse(
            ProblemSerializer, description=meanings.get(f"status_{code}", MEANINGS[code])
        )
        for code in chosen
    }


NO_PAGE = _("Không có trang này (số trang vượt quá danh sách).")


def documented_reads(serializer, *, parameters=None, responses=None) -> dict:
    """`extend_schema_view` arguments for a viewset's list and retrieve: the statuses a read
    may answer besides 200 (a list's 404 is a forged or stale cursor, portal.api.pagination),
    with the `parameters` and the further `responses` both take (a masked field's `full`)."""
    cursor = _("Không tìm thấy trong phạm vi của bạn, hoặc con trỏ trang không hợp lệ.")
    extra = responses or {}
    return {
        "list": extend_schema(
            responses={
                200: serializer(many=True),
                **problems(400, 401, 404, status_404=cursor),
                **extra,
            },
            parameters=parameters,
        ),
        "retrieve": extend_schema(
            responses={200: serializer, **problems(401, 404), **extra}, parameters=parameters
        ),
    }


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=_("Gửi lại cùng khóa: yêu cầu chỉ được thực hiện một lần (24 giờ)."),
)


_METHODS = {"get", "put", "patch", "post", "delete", "head", "options", "trace"}


def add_throttle_responses(result, generator, request, public):
    """drf-spectacular post-processing hook: every operation may answer 429 past the rate
    limits (portal/api/throttles.py), a problem with a `Retry-After` header in seconds."""
    throttled = {
        "description": str(
            _(
                "Quá nhiều yêu cầu: vượt giới hạn của khóa API (hoặc người dùng) hay của địa chỉ "
                "gửi; thử lại sau số giây trong Retry-After."
            )
        ),
        "headers": {
            "Retry-After": {
                "description": str(_("Số giây phải chờ trước khi gửi lại.")),
                "schema": {"type": "integer", "minimum": 0},
            }
        },
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method in _METHODS:
                operation.setdefault("responses", {}).setdefault("429", throttled)
    return result
