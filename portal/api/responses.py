"""The problem responses (RFC 9457, `portal.api.problems`) an endpoint documents in the OpenAPI
schema, so that a caller, and schemathesis' status-code check (tests/api/test_schemathesis.py),
know every status it may answer."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse

from portal.api.problems import ProblemSerializer

TEXTS = {
    400: _("Dữ liệu không hợp lệ (errors: trường → thông báo)."),
    401: _("Khóa API không hợp lệ, hết hạn hoặc đã thu hồi."),
    403: _("Không có quyền thực hiện thao tác này."),
    404: _("Không tìm thấy trong phạm vi của bạn, hoặc con trỏ trang không hợp lệ."),
    415: _("Kiểu nội dung không được hỗ trợ: hãy gửi JSON."),
}


def problems(*codes: int, **texts) -> dict:
    """`{code: OpenApiResponse(ProblemSerializer)}` for `codes`; `texts` ("c404"=…) replace the
    generic description of one code."""
    return {
        code: OpenApiResponse(ProblemSerializer, description=texts.get(f"c{code}", TEXTS[code]))
        for code in codes
    }
