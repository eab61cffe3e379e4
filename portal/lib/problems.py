"""The body of an RFC 9457 problem, the API's one shape of error (portal.api.problems, which
adds the Django REST framework's side); here without the framework, so that a middleware
refusing a request before any view runs answers the API in the same shape."""

from django.utils.translation import gettext as _

PROBLEM = "application/problem+json"
BASE = "https://portal.invalid/problems/"


def problem_title(status_code: int) -> str:
    return {
        400: _("Dữ liệu gửi lên không hợp lệ"),
        401: _("Chưa xác thực"),
        403: _("Không có quyền"),
        404: _("Không tìm thấy"),
        405: _("Phương thức không được hỗ trợ"),
        409: _("Xung đột"),
        415: _("Kiểu nội dung không được hỗ trợ"),
        422: _("Không thể thực hiện"),
        429: _("Quá nhiều yêu cầu"),
        500: _("Lỗi hệ thống"),
        503: _("Dịch vụ tạm thời gián đoạn"),
    }.get(status_code, _("Lỗi"))


def problem_body(*, status_code: int, code: str, detail) -> dict:
    return {
        "type": BASE + code.replace("_", "-"),
        "title": str(problem_title(status_code)),
        "status": status_code,
        "detail": str(detail),
        "code": code,
    }
