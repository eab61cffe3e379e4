"""The words of the personal-data inventory and of the incident register (docs/privacy.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DataCategory(models.TextChoices):
    """What kind of personal data a field holds (Law 91/2025/QH15 distinguishes basic from
    sensitive data; none of the portal's categories is sensitive data in its sense)."""

    IDENTITY = "identity", _("Định danh (họ tên, số định danh cá nhân, giấy tờ tùy thân)")
    BIRTH = "birth", _("Ngày sinh")
    CONTACT = "contact", _("Liên lạc (điện thoại, thư điện tử, địa chỉ)")
    EMPLOYMENT = "employment", _("Công tác (chức vụ, cơ quan, thay đổi công tác)")
    CERTIFICATE = "certificate", _("Chứng thư số (tên, thư điện tử của thuê bao)")
    ACTIVITY = "activity", _("Hoạt động (ký số, đăng nhập, địa chỉ IP)")
    ACCOUNT = "account", _("Tài khoản người dùng")
    DOCUMENT = "document", _("Văn bản, tệp, bản sao chứa dữ liệu cá nhân")


class LegalBasis(models.TextChoices):
    """Why the portal may process the data without the subject's consent (Law 91/2025/QH15:
    processing required by law and for the tasks of state agencies)."""

    LEGAL_DUTY = (
        "legal_duty",
        _("Thực hiện nghĩa vụ theo quy định của pháp luật về chữ ký số chuyên dùng công vụ"),
    )
    PUBLIC_TASK = "public_task", _("Thực hiện nhiệm vụ quản lý nhà nước của cơ quan có thẩm quyền")
    DATA_PROTECTION = (
        "data_protection",
        _("Thực hiện nghĩa vụ của bên kiểm soát dữ liệu theo Luật Bảo vệ dữ liệu cá nhân"),
    )
    SECURITY = (
        "security",
        _("Bảo đảm an ninh, an toàn hệ thống thông tin (nhật ký, chống xâm nhập)"),
    )


class IncidentStatus(models.TextChoices):
    RECORDED = "recorded", _("Đã ghi nhận")
    NOTIFIED = "notified", _("Đã thông báo cơ quan chức năng")
    CLOSED = "closed", _("Đã kết thúc")


class CorrectableField(models.TextChoices):
    """What a person may ask to have corrected in their own record (Law 91/2025/QH15, the data
    subject's right to correction; docs/privacy.md, "The data subject's rights")."""

    FULL_NAME = "full_name", _("Họ và tên")
    DATE_OF_BIRTH = "date_of_birth", _("Ngày sinh")
    NATIONAL_ID = "national_id", _("Số định danh cá nhân")
    ID_ISSUE_DATE = "id_issue_date", _("Ngày cấp giấy tờ tùy thân")
    ID_ISSUE_PLACE = "id_issue_place", _("Nơi cấp giấy tờ tùy thân")
    POSITION = "position", _("Chức vụ")
    MOBILE = "mobile", _("Số điện thoại di động")
    OFFICIAL_EMAIL = "official_email", _("Thư điện tử công vụ")
    UNIT = "unit", _("Đơn vị công tác (trong cơ quan)")


# The fields a person's certificate shows (its CN, E and OU, docs/domain.md §8): correcting one
# while a certificate is valid is a Mẫu 04 change of information, not only a record's edit.
CERTIFICATE_FIELDS = frozenset(
    {CorrectableField.FULL_NAME, CorrectableField.OFFICIAL_EMAIL, CorrectableField.UNIT}
)
# The dates among them, typed dd/mm/yyyy and kept as ISO text.
DATE_FIELDS = frozenset({CorrectableField.DATE_OF_BIRTH, CorrectableField.ID_ISSUE_DATE})


class CorrectionStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Đã gửi, chờ xử lý")
    CORRECTED = "corrected", _("Đã đính chính hồ sơ")
    LETTER_DRAFTED = "letter_drafted", _("Đã đính chính, lập văn bản thay đổi thông tin")
    REJECTED = "rejected", _("Bị từ chối")


class AccessChannel(models.TextChoices):
    """How personal data left the masked view (docs/privacy.md §access log)."""

    REVEAL = "reveal", _("Xem giá trị đầy đủ trên trang")
    EXPORT = "export", _("Xuất tệp có giá trị đầy đủ")
    DOCUMENT = "document", _("Tải văn bản có dữ liệu cá nhân")
    API = "api", _("Đọc qua giao diện lập trình (API)")
    SUBJECT = "subject", _("Chủ thể xem, xuất dữ liệu của chính mình")


# The records an access is about (`Access.object_type`, the audit trail's `label_lower`), as the
# access log's search offers them; a type not listed here is shown as it is stored.
ACCESS_OBJECT_TYPES = [
    ("agencies.person", _("Hồ sơ cá nhân")),
    ("requests_app.certrequest", _("Văn bản đề nghị")),
    ("requests_app.requestrow", _("Dòng của văn bản đề nghị")),
    ("certificates.certificate", _("Chứng thư số")),
    ("devices.device", _("Thiết bị")),
    ("portal.exportjob", _("Tệp xuất")),
]
