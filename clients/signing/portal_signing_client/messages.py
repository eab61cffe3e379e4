"""Every text the official or the portal page reads, in Vietnamese (the client has no other
audience). Codes are the protocol's; texts may change."""

ERROR_MESSAGES = {
    "bad_request": "Yêu cầu ký không hợp lệ.",
    "body_too_large": "Yêu cầu ký quá lớn.",
    "forbidden_origin": "Trang web này không được phép dùng phần mềm ký số.",
    "forbidden_host": "Địa chỉ truy cập phần mềm ký số không hợp lệ.",
    "not_found": "Không tìm thấy yêu cầu ký (có thể đã hết hạn hoặc đã hoàn tất).",
    "too_many_requests": "Có quá nhiều yêu cầu ký đang chờ. Đề nghị thử lại sau ít phút.",
    "unknown_certificate": "Không tìm thấy chứng thư số này trên thiết bị ký số đang cắm vào máy.",
    "expired": "Yêu cầu ký đã hết hạn. Đề nghị thực hiện lại thao tác ký trên cổng thông tin.",
    "pin_incorrect": "Mã PIN không đúng. Văn bản chưa được ký.",
    "pin_locked": "Thiết bị bị khóa (nhập sai mã PIN quá số lần cho phép). Đề nghị khôi phục thiết bị theo Mẫu 06.",
    "pin_not_initialized": "Mã PIN của thiết bị chưa được khởi tạo. Đề nghị liên hệ đơn vị quản lý thiết bị.",
    "pin_expired": "Mã PIN của thiết bị đã hết hạn. Đề nghị đổi mã PIN bằng phần mềm của thiết bị rồi ký lại.",
    "cancelled": "Người dùng đã hủy ký.",
    "token_missing": "Không tìm thấy thiết bị ký số. Đề nghị cắm thiết bị (USB Token) vào máy rồi ký lại.",
    "key_missing": "Không tìm thấy khóa bí mật của chứng thư số trên thiết bị.",
    "failed": "Không ký được bằng thiết bị ký số. Đề nghị thử lại hoặc dùng cách tải lên văn bản đã ký.",
    "method_not_allowed": "Phương thức không được hỗ trợ.",
    "bad_csrf": "Trang xác nhận đã cũ hoặc không hợp lệ. Đề nghị mở lại từ cổng thông tin.",
}

RETRIES_LEFT = "Còn {n} lần nhập."
FINAL_TRY = "Đây là lần nhập cuối: nhập sai lần nữa thiết bị sẽ bị khóa."
COUNT_LOW = "Thiết bị báo đã nhập sai mã PIN; nhập sai nhiều lần nữa thiết bị sẽ bị khóa."
PIN_REQUIRED = "Vui lòng nhập mã PIN."

DONE = "Đã ký. Bạn có thể đóng cửa sổ này."
CANCELLED_PAGE = "Đã hủy, văn bản không được ký. Bạn có thể đóng cửa sổ này."
SIGNING = "Thiết bị đang ký văn bản này, vui lòng chờ."
FINISHED = "Yêu cầu ký này đã kết thúc. Bạn có thể đóng cửa sổ này."


def message(code: str) -> str:
    return ERROR_MESSAGES.get(code, ERROR_MESSAGES["failed"])
