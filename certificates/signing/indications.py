"""The outcomes of ETSI EN 319 102-1 (clause 5.1.3) as the portal names and shows them
(docs/ca.md, "Validation report"): the three indications, and a Vietnamese text for each
sub-indication, rendered when shown (the stored report keeps the standard's names)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from pyhanko.sign.ades.report import AdESStatus

TOTAL_PASSED = "TOTAL-PASSED"
INDETERMINATE = "INDETERMINATE"
TOTAL_FAILED = "TOTAL-FAILED"
INDICATIONS = (TOTAL_PASSED, INDETERMINATE, TOTAL_FAILED)  # best to worst

INDICATION_OF_STATUS = {
    AdESStatus.PASSED: TOTAL_PASSED,
    AdESStatus.INDETERMINATE: INDETERMINATE,
    AdESStatus.FAILED: TOTAL_FAILED,
}

# The portal's own code for a document without any signature (ETSI has none: there is nothing
# to validate, so the document cannot pass).
NO_SIGNATURE = "NO_SIGNATURE"


def indication_text(indication: str) -> str:
    return {
        TOTAL_PASSED: _("Hợp lệ"),
        INDETERMINATE: _("Chưa xác định được"),
        TOTAL_FAILED: _("Không hợp lệ"),
    }.get(indication, indication)


def sub_indication_text(sub_indication: str) -> str:
    """The Vietnamese meaning of an ETSI EN 319 102-1 sub-indication (clause 5.1.3)."""
    texts = {
        "": "",
        NO_SIGNATURE: _("Văn bản không có chữ ký số"),
        "FORMAT_FAILURE": _("Chữ ký không đúng định dạng, không đọc được"),
        "HASH_FAILURE": _("Văn bản bị thay đổi sau khi ký"),
        "SIG_CRYPTO_FAILURE": _("Giá trị chữ ký không khớp với khóa công khai của người ký"),
        "REVOKED": _("Chứng thư đã bị thu hồi trước thời điểm ký"),
        "EXPIRED": _("Chứng thư đã hết hạn trước thời điểm ký"),
        "NOT_YET_VALID": _("Chứng thư chưa có hiệu lực tại thời điểm ký"),
        "SIG_CONSTRAINTS_FAILURE": _("Chữ ký không đáp ứng các ràng buộc của chính sách ký"),
        "CHAIN_CONSTRAINTS_FAILURE": _("Chuỗi chứng thư không đáp ứng các ràng buộc"),
        "CERTIFICATE_CHAIN_GENERAL_FAILURE": _("Chuỗi chứng thư không hợp lệ"),
        "CRYPTO_CONSTRAINTS_FAILURE": _("Thuật toán mật mã không còn đủ an toàn"),
        "CRYPTO_CONSTRAINTS_FAILURE_NO_POE": _(
            "Thuật toán mật mã không còn đủ an toàn và không có bằng chứng tồn tại trước đó"
        ),
        "POLICY_PROCESSING_ERROR": _("Không xử lý được chính sách ký"),
        "SIGNATURE_POLICY_NOT_AVAILABLE": _("Không có chính sách ký"),
        "TIMESTAMP_ORDER_FAILURE": _("Thứ tự các dấu thời gian không hợp lệ"),
        "NO_SIGNING_CERTIFICATE_FOUND": _("Không tìm thấy chứng thư của người ký"),
        "NO_CERTIFICATE_CHAIN_FOUND": _("Chứng thư không chuỗi về CA gốc tin cậy"),
        "REVOKED_NO_POE": _(
            "Chứng thư đã bị thu hồi và không có bằng chứng đã ký trước khi thu hồi"
        ),
        "REVOKED_CA_NO_POE": _(
            "Chứng thư của CA đã bị thu hồi và không có bằng chứng đã ký trước khi thu hồi"
        ),
        "OUT_OF_BOUNDS_NO_POE": _(
            "Chứng thư hết hạn hoặc chưa có hiệu lực và không có bằng chứng tồn tại "
            "(dấu thời gian) trong thời hạn của chứng thư"
        ),
        "REVOCATION_OUT_OF_BOUNDS_NO_POE": _(
            "Thông tin thu hồi nằm ngoài thời hạn của chứng thư và không có bằng chứng tồn tại"
        ),
        "OUT_OF_BOUNDS_NOT_REVOKED": _(
            "Chứng thư hết hạn hoặc chưa có hiệu lực (không bị thu hồi)"
        ),
        "NO_POE": _("Không có bằng chứng tồn tại (dấu thời gian)"),
        "TRY_LATER": _("Chưa có thông tin thu hồi đủ mới: kiểm tra lại sau"),
        "SIGNED_DATA_NOT_FOUND": _("Không tìm thấy dữ liệu đã ký"),
        "GENERIC": _("Không xác định được vì lý do khác"),
    }
    return texts.get(sub_indication, sub_indication)


def foreign_root_text(root_name: str) -> str:
    return _("Chứng thư của CA công cộng (không phải CA chuyên dùng Chính phủ): %(root)s") % {
        "root": root_name
    }


def localized(report: dict) -> dict:
    """A stored report (`ValidationReport.as_json`) with its texts in the current language."""
    signatures = [
        {
            **signature,
            "indication_text": indication_text(signature.get("indication", "")),
            "text": (
                foreign_root_text(signature["foreign_root"])
                if signature.get("foreign_root")
                else sub_indication_text(signature.get("sub_indication", ""))
            ),
        }
        for signature in report.get("signatures", [])
    ]
    return {
        **report,
        "indication_text": indication_text(report.get("indication", "")),
        "text": sub_indication_text(report.get("sub_indication", "")),
        "signatures": signatures,
    }
