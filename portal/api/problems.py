"""Every API error as an RFC 9457 problem: `application/problem+json` with `type`, `title`,
`status`, `detail` (the Vietnamese message shown as is), `code` and, for invalid input, `errors`
(field → messages). One DRF exception handler (settings REST_FRAMEWORK) for the whole API
(docs/architecture.md §2.8); bad input is never a 500."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from portal.errors import DomainError
from portal.lib.problems import PROBLEM, problem_body


class ProblemSerializer(serializers.Serializer):
    """The shape of every error (documented in the OpenAPI schema)."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(required=False)


def problem_response(*, status_code: int, code: str, detail, errors=None, headers=None):
    body = problem_body(status_code=status_code, code=code, detail=detail)
    if errors:
        body["errors"] = errors
    response = Response(body, status=status_code, headers=headers)
    response.content_type = PROBLEM
    return response


def _flatten(detail) -> dict[str, list[str]] | list[str]:
    if isinstance(detail, dict):
        return {
            str(k): _flatten(v) if isinstance(v, dict) else _messages(v) for k, v in detail.items()
        }
    return _messages(detail)


def _messages(value) -> list[str]:
    if isinstance(value, list | tuple):
        out = []
        for item in value:
            out.extend(_messages(item) if not isinstance(item, dict) else [str(_flatten(item))])
        return out
    return [str(value)]


def domain_status(exc: DomainError) -> int:
    """409 when someone else acted first or the row was decided meanwhile, 403 for a right the
    user lacks, else 422: the request was understood but the rules refuse it."""
    if exc.code in {"stale_status", "row_decided", "idempotency_in_progress"}:
        return status.HTTP_409_CONFLICT
    if exc.code == "forbidden":
        return status.HTTP_403_FORBIDDEN
    return status.HTTP_422_UNPROCESSABLE_ENTITY


def exception_handler(exc, context):
    errors = getattr(exc, "errors", None)
    if isinstance(exc, DomainError):
        return problem_response(
            status_code=domain_status(exc),
            code=exc.code,
            detail=exc.message,
            errors=_flatten(errors) if isinstance(errors, dict) else None,
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Không tìm thấy hoặc bạn không có quyền xem."))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(_("Bạn không có quyền thực hiện thao tác này."))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    headers = {
        k: v
        for k, v in response.headers.items()
        if k in ("WWW-Authenticate", "Retry-After", "Allow")
    }
    if isinstance(exc, exceptions.ValidationError):
        flat = _flatten(exc.detail)
        fields = flat if isinstance(flat, dict) else {"non_field_errors": flat}
        return problem_response(
            status_code=400,
            code="invalid",
            detail=_("Dữ liệu gửi lên không hợp lệ: xem từng trường trong “errors”."),
            errors=fields,
            headers=headers,
        )
    detail = getattr(exc, "detail", "")
    code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    return problem_response(
        status_code=response.status_code,
        code=str(code),
        detail=_detail(exc, detail),
        headers=headers,
    )


def _detail(exc, detail) -> str:
    if isinstance(exc, exceptions.NotAuthenticated):
        return _("Cần đăng nhập hoặc gửi khóa API (Authorization: Bearer …).")
    if isinstance(exc, exceptions.MethodNotAllowed):
        return _("Phương thức không được hỗ trợ ở địa chỉ này.")
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return _("Kiểu nội dung không được hỗ trợ: hãy gửi JSON (Content-Type: application/json).")
    if isinstance(exc, exceptions.ParseError):
        return _("Nội dung gửi lên không đọc được (JSON hoặc biểu mẫu sai cú pháp).")
    if isinstance(exc, exceptions.Throttled):
        return _("Quá nhiều yêu cầu, hãy thử lại sau.")
    return str(detail)
