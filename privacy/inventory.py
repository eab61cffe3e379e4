"""The record of processing (Law 91/2025/QH15, Decree 356/2025/NĐ-CP; docs/privacy.md): every
model field of the portal that holds personal data, declared once, with its category, purpose,
legal basis, retention and the roles that may see it unmasked.

Models are named by their label ("agencies.Person"), never imported: `privacy` sits right
above `agencies` (docs/architecture.md §1), so the apps above it may read this table (to mask,
to encrypt, to export a subject's data) while it imports none of them.
`tests/privacy/test_inventory.py` fails when a field that looks personal (LOOKS_PERSONAL) is
neither declared here nor listed in NOT_PERSONAL with its reason, and when either names a field
that does not exist; `manage.py privacy_docs` writes the table into docs/privacy.md.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from agencies.choices import Role
from privacy.choices import DataCategory as C
from privacy.choices import LegalBasis as B


@dataclass(frozen=True)
class Retention:
    """How long a field is kept, twice: `text` for the staff and the docs (it names the
    settings and docs/retention.md, so it can be checked against them), `plain` for the person
    the data is about ("Dữ liệu của tôi", docs/privacy.md §5): plain words, the periods filled
    in from the settings when read, no setting name, no path. Without `plain` the text is
    already plain words."""

    text: Promise | str
    plain_text: Promise | str | None = None

    def __str__(self) -> str:
        return str(self.text)

    @property
    def plain(self) -> str:
        if self.plain_text is None:
            return str(self.text)
        return str(self.plain_text) % periods()


def periods() -> dict[str, int]:
    """The retention periods a plain text may state, as the settings have them now."""
    return {
        "record_years": settings.PORTAL_RETENTION_RECORD_YEARS,
        "draft_days": settings.PORTAL_RETENTION_DRAFT_DAYS,
        "import_days": settings.PORTAL_RETENTION_IMPORT_DAYS,
        "export_days": settings.PORTAL_RETENTION_EXPORT_DAYS,
        "mail_days": settings.PORTAL_RETENTION_MAIL_DAYS,
        "import_hours": settings.PORTAL_IMPORT_KEEP_HOURS,
        "export_hours": settings.PORTAL_EXPORT_KEEP_HOURS,
        "idle_minutes": settings.PORTAL_SESSION_IDLE_MINUTES,
        "max_hours": settings.PORTAL_SESSION_MAX_HOURS,
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        "desk_hours": settings.PORTAL_DESK_SIGNING_KEEP_HOURS,
    }


@dataclass(frozen=True)
class PersonalField:
    model: str  # the model's label, "agencies.Person"
    field: str
    category: str
    purpose: Promise | str
    basis: str
    retention: Retention
    # roles that may see the value unmasked (within their scope, docs/architecture.md §5);
    # SELF: the person the value is about
    unmasked: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.model}.{self.field}"


SELF = "self"
ROLE_LABELS = {SELF: _("Chính người được nói đến"), **dict(Role.choices)}

# Names of fields that look personal: a field matching this must be declared or listed in
# NOT_PERSONAL (the names this repository uses: national_id, id_issue_*, date_of_birth,
# mobile, phone, email, address, full_name, *_name of people, representative, recipient, ip).
LOOKS_PERSONAL = re.compile(
    r"national_id|citizen|identity|cccd|cmnd|id_issue|birth|dob|phone|mobile|e?mail|"
    r"address|full_name|first_name|last_name|username|subscriber_|contact_|representative|"
    r"recipient|common_name|^ip$|user_agent|person",
    re.IGNORECASE,
)

# Who sees a person's data in the letters and the registry: the agency's clerks and heads,
# the province's officers, the CA, the administrators, and the person themselves.
LETTER_READERS = (
    Role.AGENCY_CLERK, Role.AGENCY_HEAD, Role.PROVINCIAL_OFFICER, Role.CA_OPERATOR,
    Role.ADMINISTRATOR, SELF,
)  # fmt: skip
STAFF_READERS = LETTER_READERS[:-1]
# ID numbers, birth and ID issue dates, phone numbers: lists, exports and the API show them
# masked (privacy/masking.py); in full only to the roles that process them, and the person.
# Not the head (signs, needs no full value), not the administrator (an override of scope, not
# a purpose).
FULL_VALUE_READERS = (Role.AGENCY_CLERK, Role.PROVINCIAL_OFFICER, Role.CA_OPERATOR, SELF)
ADMINS = (Role.ADMINISTRATOR,)
ADMINS_AND_SELF = (Role.ADMINISTRATOR, SELF)
REPORT_READERS = (Role.PROVINCIAL_OFFICER, Role.CA_OPERATOR, Role.ADMINISTRATOR)

# Purposes
ISSUE = _("Đề nghị cấp, gia hạn, thay đổi thông tin, thu hồi chứng thư số cho cán bộ, công chức")
REGISTRY = _("Quản lý chứng thư số đã cấp (danh bạ, tra cứu, thu hồi, danh sách CRL, OCSP)")
DEVICES = _("Bàn giao, thu hồi, báo mất thiết bị lưu khóa bí mật (Mẫu 07, 08, 09)")
CONTACT = _("Liên hệ về hồ sơ, gửi thông báo và văn bản")
ACCOUNTS = _("Đăng nhập, phân quyền và liên hệ với người dùng")
AUDIT = _("Nhật ký kiểm toán: ai đã làm gì, khi nào, trên dữ liệu nào")
SIGN_IN_SECURITY = _("Chống dò mật khẩu và mã xác thực (khóa tạm thời)")
SIGNING = _("Giám sát hoạt động ký số theo yêu cầu của Ban Cơ yếu Chính phủ")
IMPORT_EXPORT = _("Nhập danh sách từ tệp Excel, xuất danh sách theo yêu cầu của người dùng")
MAIL = _("Gửi thư điện tử thông báo (hộp thư đi)")
MERGER = _("Xử lý chứng thư, thiết bị của cán bộ khi sắp xếp, sáp nhập cơ quan")
SIGNED_PAPERS = _(
    "Đăng ký nhu cầu, báo cáo tháng đã ký số: họ tên, chức vụ, chứng thư của người ký"
)
INCIDENTS = _("Ghi nhận, thông báo vi phạm quy định bảo vệ dữ liệu cá nhân")
CORRECTIONS = _("Tiếp nhận, xử lý yêu cầu đính chính dữ liệu của chủ thể dữ liệu")
ACCESS_LOG = _(
    "Nhật ký truy cập: ai đã xem, xuất dữ liệu cá nhân đầy đủ của ai, khi nào, vì sao; chủ thể "
    "xem được các lượt truy cập dữ liệu của mình"
)
BLIND_INDEX = _(
    "Tìm kiếm chính xác và phát hiện trùng lặp mà không cần giá trị: chỉ mục mù (HMAC có khóa) "
    "của giá trị được mã hóa, không hiển thị ở đâu (docs/privacy-at-rest.md)"
)

# Retention: one text per record type, true to what the sweeps do (docs/retention.md; the
# settings in config/retention.py), or saying plainly that a record type has no rule.
KEPT_PERSON = Retention(
    _(
        "Người: sau PORTAL_RETENTION_RECORD_YEARS (10 năm) không còn gì của họ mới hơn (chứng thư, "
        "thiết bị, văn bản, tài khoản), số định danh được thay bằng giá trị trung lập; ngày sinh, "
        "ngày và nơi cấp giấy tờ, số di động, thư điện tử bị xóa; họ tên, chức vụ được giữ "
        "(docs/retention.md)"
    ),
    _(
        "Hồ sơ của bạn được lưu %(record_years)d năm kể từ khi không còn chứng thư, thiết bị, "
        "văn bản hay tài khoản nào của bạn mới hơn; sau đó số định danh, ngày sinh, ngày và nơi cấp "
        "giấy tờ, số di động, thư điện tử bị xóa; họ tên, chức vụ được giữ lại"
    ),
)
KEPT_LETTER = Retention(
    _(
        "Văn bản: bản nháp chưa từng gửi bị xóa PORTAL_RETENTION_DRAFT_DAYS (180 ngày) sau lần sửa "
        "cuối; PORTAL_RETENTION_RECORD_YEARS (10 năm) sau khi văn bản kết thúc, số định danh, ngày "
        "và nơi cấp giấy tờ, số di động, thư điện tử của người liên hệ bị xóa; họ tên, chức vụ, cơ "
        "quan của người liên hệ và địa chỉ nhận được giữ (docs/retention.md)"
    ),
    _(
        "Văn bản nháp chưa từng gửi bị xóa %(draft_days)d ngày sau lần sửa cuối. Văn bản đã gửi "
        "được lưu %(record_years)d năm sau khi kết thúc; sau đó số định danh, ngày và nơi cấp giấy "
        "tờ, số di động, thư điện tử của người liên hệ bị xóa; họ tên, chức vụ, cơ quan của người "
        "liên hệ và địa chỉ nhận được giữ lại"
    ),
)
KEPT_ROW = Retention(
    _(
        "Dòng văn bản: bị xóa cùng bản nháp chưa từng gửi sau PORTAL_RETENTION_DRAFT_DAYS (180 "
        "ngày); PORTAL_RETENTION_RECORD_YEARS (10 năm) sau khi văn bản kết thúc, số định danh, ngày "
        "sinh, ngày và nơi cấp giấy tờ, số di động, thư điện tử và giá trị mới bị xóa; họ tên, chức "
        "vụ, cơ quan được giữ (docs/retention.md)"
    ),
    _(
        "Dòng của văn bản nháp chưa từng gửi bị xóa cùng văn bản %(draft_days)d ngày sau lần sửa "
        "cuối. Dòng của văn bản đã gửi được lưu %(record_years)d năm sau khi văn bản kết thúc; sau "
        "đó số định danh, ngày sinh, ngày và nơi cấp giấy tờ, số di động, thư điện tử và giá trị "
        "mới bị xóa; họ tên, chức vụ, cơ quan được giữ lại"
    ),
)
KEPT_WITH_LETTER = Retention(
    _(
        "Giữ nguyên cùng văn bản đã gửi: không có quy tắc xóa (việc xóa thông tin định danh của văn "
        "bản không đụng tới, docs/retention.md)"
    ),
    _("Được lưu cùng văn bản đã gửi, không bị xóa"),
)
KEPT_SIGNED_LETTER = Retention(
    _(
        "Giữ nguyên cùng văn bản, không có quy tắc xóa: chữ ký phải còn kiểm tra được "
        "(docs/retention.md §4); dấu thời gian lưu trữ được gia hạn (archive_until, "
        "CA_ARCHIVE_RENEW_DAYS)"
    ),
    _("Được lưu cùng văn bản, không bị xóa: chữ ký số trên văn bản phải luôn kiểm tra được"),
)
KEPT_WITH_CERT = Retention(
    _(
        "Giữ nguyên cùng chứng thư số sau khi hết hạn, thu hồi, không có quy tắc xóa: chữ ký của CA "
        "phải còn kiểm tra được (docs/retention.md §4)"
    ),
    _(
        "Được lưu cùng chứng thư số, cả sau khi chứng thư hết hạn hoặc bị thu hồi, không bị xóa: "
        "chữ ký của tổ chức cấp chứng thư phải luôn kiểm tra được"
    ),
)
KEPT_WITH_DEVICE = Retention(
    _(
        "Hồ sơ thiết bị là hồ sơ công vụ, giữ nguyên, không có quy tắc xóa (docs/retention.md §2); "
        "ngày tháng của chúng giữ thời hạn PORTAL_RETENTION_RECORD_YEARS của người được nêu"
    ),
    _(
        "Hồ sơ thiết bị là hồ sơ công vụ, được lưu giữ, không bị xóa; hồ sơ cá nhân của người được "
        "nêu tên được lưu ít nhất %(record_years)d năm sau lần bàn giao, thu hồi thiết bị gần nhất"
    ),
)
KEPT_AUDIT = Retention(
    _("Nhật ký chỉ ghi thêm, không xóa (chuỗi băm, docs/security.md)"),
    _("Nhật ký chỉ được ghi thêm, không bao giờ bị sửa hay xóa"),
)
KEPT_IMPORT = Retention(
    _(
        "Tệp bị xóa khi đọc xong; việc nhập chưa xong bị hủy sau PORTAL_IMPORT_KEEP_HOURS (24 giờ); "
        "việc nhập đã xong bị xóa PORTAL_RETENTION_IMPORT_DAYS (30 ngày) sau khi kết thúc"
    ),
    _(
        "Tệp bị xóa ngay khi đọc xong; việc nhập chưa xong bị hủy sau %(import_hours)d giờ; việc "
        "nhập đã xong bị xóa %(import_days)d ngày sau khi kết thúc"
    ),
)
KEPT_EXPORT = Retention(
    _(
        "Tệp bị xóa PORTAL_EXPORT_KEEP_HOURS (24 giờ) sau khi yêu cầu xuất; việc xuất bị xóa "
        "PORTAL_RETENTION_EXPORT_DAYS (7 ngày) sau đó"
    ),
    _(
        "Tệp bị xóa %(export_hours)d giờ sau khi yêu cầu xuất; việc xuất bị xóa %(export_days)d "
        "ngày sau đó"
    ),
)
KEPT_SESSION = Retention(
    _(
        "Đến khi phiên hết hạn (PORTAL_SESSION_IDLE_MINUTES, PORTAL_SESSION_MAX_HOURS), rồi bị xóa "
        "trong đợt dọn hằng đêm"
    ),
    _(
        "Đến khi phiên đăng nhập hết hạn (sau %(idle_minutes)d phút không dùng, tối đa "
        "%(max_hours)d giờ), rồi bị xóa trong đợt dọn hằng đêm"
    ),
)
KEPT_LOCKOUT = Retention(
    _("Thời gian khóa tạm thời (PORTAL_LOGIN_COOLOFF_MINUTES), rồi được xóa"),
    _("Trong thời gian khóa tạm thời (%(cooloff_minutes)d phút), rồi bị xóa"),
)
KEPT_SIGN_IN_LOG = Retention(
    _("Nhật ký đăng nhập: chưa có thời hạn xóa (dự kiến; lệnh axes_reset_logs xóa theo tuổi)"),
    _("Nhật ký đăng nhập: chưa có thời hạn xóa (dự kiến)"),
)
KEPT_SIGNING = Retention(_("Theo tháng thống kê: chưa có thời hạn xóa (dự kiến)"))
KEPT_MAIL = Retention(
    _(
        "Bị xóa cùng các lần gửi PORTAL_RETENTION_MAIL_DAYS (90 ngày) sau khi vào hộp thư đi, khi đã "
        "gửi, gửi lỗi hoặc bị trả về; thư còn chờ gửi được giữ"
    ),
    _(
        "Bị xóa %(mail_days)d ngày sau khi vào hộp thư đi, khi đã gửi, gửi lỗi hoặc bị trả về; thư "
        "còn chờ gửi được giữ"
    ),
)
KEPT_ACCOUNT = Retention(_("Suốt thời gian tài khoản tồn tại"))
KEPT_IDEMPOTENCY = Retention(
    _(
        "Dùng lại được trong 24 giờ (portal.api.idempotency.TTL, docs/api.md §9); bị xóa ở yêu cầu "
        "API kế tiếp của cùng người dùng sau đó"
    ),
    _("Dùng lại được trong 24 giờ, rồi bị xóa"),
)
KEPT_DESK = Retention(
    _("PORTAL_DESK_SIGNING_KEEP_HOURS (24 giờ) sau khi ký xong hoặc hết hạn"),
    _("%(desk_hours)d giờ sau khi ký xong hoặc hết hạn, rồi bị xóa"),
)
KEPT_PLAN = Retention(_("Cùng phương án sáp nhập: chưa có thời hạn xóa (dự kiến)"))
KEPT_SIGNED = Retention(
    _("Cùng văn bản đã ký: chưa có thời hạn xóa (dự kiến theo quy định lưu trữ)")
)
KEPT_ACCESS = Retention(
    _("Cùng nhật ký kiểm toán: chỉ ghi thêm, không xóa (docs/privacy.md)"),
    _("Cùng nhật ký kiểm toán: chỉ được ghi thêm, không bị xóa"),
)
KEPT_INCIDENT = Retention(_("Cùng hồ sơ sự cố: chưa có thời hạn xóa (dự kiến)"))
KEPT_CORRECTION = Retention(_("Cùng hồ sơ người yêu cầu: chưa có thời hạn xóa (dự kiến)"))


def declare(model, fields, category, purpose, basis, retention, unmasked):
    """One declaration per field; a group shares the words of one line of the table."""
    return [
        PersonalField(model, name, category, purpose, basis, retention, unmasked)
        for name in fields.split()
    ]


D = declare
FIELDS: tuple[PersonalField, ...] = tuple(
    # agencies: the people and the accounts
    D("agencies.Person", "full_name id_issue_place", C.IDENTITY, ISSUE, B.LEGAL_DUTY,
      KEPT_PERSON, LETTER_READERS)
    + D("agencies.Person", "national_id id_issue_date", C.IDENTITY, ISSUE, B.LEGAL_DUTY,
        KEPT_PERSON, FULL_VALUE_READERS)
    + D("agencies.Person", "date_of_birth", C.BIRTH, ISSUE, B.LEGAL_DUTY, KEPT_PERSON,
        FULL_VALUE_READERS)
    + D("agencies.Person", "position", C.EMPLOYMENT, ISSUE, B.LEGAL_DUTY, KEPT_PERSON,
        LETTER_READERS)
    + D("agencies.Person", "mobile", C.CONTACT, CONTACT, B.LEGAL_DUTY, KEPT_PERSON,
        FULL_VALUE_READERS)
    + D("agencies.Person", "official_email", C.CONTACT, CONTACT, B.LEGAL_DUTY, KEPT_PERSON,
        LETTER_READERS)
    + D("agencies.Person", "national_id_index", C.IDENTITY, BLIND_INDEX, B.LEGAL_DUTY,
        KEPT_PERSON, ADMINS)
    + D("agencies.CodeFailure", "address", C.ACTIVITY, SIGN_IN_SECURITY, B.SECURITY,
        KEPT_LOCKOUT, ADMINS)
    + D("auth.User", "username first_name last_name", C.ACCOUNT, ACCOUNTS, B.PUBLIC_TASK,
        KEPT_ACCOUNT, STAFF_READERS + (SELF,))
    + D("auth.User", "email", C.CONTACT, ACCOUNTS, B.PUBLIC_TASK, KEPT_ACCOUNT,
        ADMINS_AND_SELF)
    + D("sessions.Session", "session_data", C.ACCOUNT, ACCOUNTS, B.SECURITY, KEPT_SESSION,
        ADMINS)
    + D("axes.AccessAttempt", "username ip_address user_agent get_data post_data", C.ACTIVITY,
        SIGN_IN_SECURITY, B.SECURITY, KEPT_LOCKOUT, ADMINS)
    + D("axes.AccessLog", "username ip_address user_agent", C.ACTIVITY, SIGN_IN_SECURITY,
        B.SECURITY, KEPT_SIGN_IN_LOG, ADMINS)
    + D("axes.AccessFailureLog", "username ip_address user_agent", C.ACTIVITY,
        SIGN_IN_SECURITY, B.SECURITY, KEPT_SIGN_IN_LOG, ADMINS)
    # portal: the audit trail, imports, exports, notifications, the API's stored answers
    + D("portal.AuditEvent", "actor_label object_repr before after reason", C.DOCUMENT, AUDIT,
        B.SECURITY, KEPT_AUDIT, ADMINS)
    + D("portal.AuditEvent", "ip", C.ACTIVITY, AUDIT, B.SECURITY, KEPT_AUDIT, ADMINS)
    + D("portal.ImportJob", "content result", C.DOCUMENT, IMPORT_EXPORT, B.LEGAL_DUTY,
        KEPT_IMPORT, STAFF_READERS)
    + D("portal.ExportJob", "stored_name", C.DOCUMENT, IMPORT_EXPORT, B.LEGAL_DUTY,
        KEPT_EXPORT, STAFF_READERS)
    + D("portal.Notification", "message message_data", C.DOCUMENT, CONTACT, B.PUBLIC_TASK, KEPT_ACCOUNT,
        ADMINS_AND_SELF)
    + D("portal.IdempotencyKey", "body", C.DOCUMENT, ISSUE, B.LEGAL_DUTY,
        KEPT_IDEMPOTENCY, ADMINS)
    # mailing: the outbox
    + D("mailing.OutgoingMail", "recipient recipient_name", C.CONTACT, MAIL, B.PUBLIC_TASK,
        KEPT_MAIL, ADMINS_AND_SELF)
    + D("mailing.OutgoingMail", "body attachments", C.DOCUMENT, MAIL, B.PUBLIC_TASK, KEPT_MAIL,
        ADMINS_AND_SELF)
    # devices: the SIM numbers and the Mẫu 07–09 documents
    + D("devices.Device", "phone", C.CONTACT, DEVICES, B.LEGAL_DUTY, KEPT_WITH_DEVICE,
        FULL_VALUE_READERS)
    + D("devices.Device", "phone_index", C.CONTACT, BLIND_INDEX, B.LEGAL_DUTY,
        KEPT_WITH_DEVICE, ADMINS)
    + D("devices.HandoverItem", "subscriber_name", C.IDENTITY, DEVICES, B.LEGAL_DUTY,
        KEPT_WITH_DEVICE, LETTER_READERS)
    + D("devices.ReturnMinutes", "agency_representative receiver_representative", C.IDENTITY,
        DEVICES, B.LEGAL_DUTY, KEPT_WITH_DEVICE, STAFF_READERS)
    + D("devices.ReturnMinutes", "agency_representative_title receiver_representative_title",
        C.EMPLOYMENT, DEVICES, B.LEGAL_DUTY, KEPT_WITH_DEVICE, STAFF_READERS)
    + D("devices.ReturnMinutesItem", "subscriber_name", C.IDENTITY, DEVICES, B.LEGAL_DUTY,
        KEPT_WITH_DEVICE, LETTER_READERS)
    + D("devices.LossReport", "subscriber_name representative_name", C.IDENTITY, DEVICES,
        B.LEGAL_DUTY, KEPT_WITH_DEVICE, LETTER_READERS)
    + D("devices.LossReport", "subscriber_position representative_position", C.EMPLOYMENT,
        DEVICES, B.LEGAL_DUTY, KEPT_WITH_DEVICE, LETTER_READERS)
    + D("devices.LossReport", "circumstances", C.DOCUMENT, DEVICES, B.LEGAL_DUTY,
        KEPT_WITH_DEVICE, LETTER_READERS)
    + D("devices.CustodyRecord", "note", C.DOCUMENT, DEVICES, B.LEGAL_DUTY, KEPT_WITH_DEVICE,
        STAFF_READERS)
    + D("devices.DeviceDocument", "in_row", C.DOCUMENT, DEVICES, B.LEGAL_DUTY,
        KEPT_WITH_DEVICE, LETTER_READERS)
    # certificates: the subject of each certificate, the documents signed at the desk
    + D("certificates.Certificate", "common_name subject_dn der", C.CERTIFICATE, REGISTRY,
        B.LEGAL_DUTY, KEPT_WITH_CERT, LETTER_READERS)
    + D("certificates.Certificate", "email", C.CONTACT, REGISTRY, B.LEGAL_DUTY,
        KEPT_WITH_CERT, LETTER_READERS)
    + D("certificates.DeskSigning", "prepared_pdf signed_pdf", C.DOCUMENT, ISSUE,
        B.LEGAL_DUTY, KEPT_DESK, (SELF,))
    + D("certificates.RegisteredRevocation", "letter_pdf", C.DOCUMENT, REGISTRY,
        B.LEGAL_DUTY, KEPT_WITH_CERT, (Role.CA_OPERATOR, Role.ADMINISTRATOR))
    + D("certificates.SigningEvent", "serial", C.ACTIVITY, SIGNING, B.SECURITY, KEPT_SIGNING,
        STAFF_READERS)
    # requests_app: the letters, their contact person, their rows and documents
    + D("requests_app.CertRequest", "contact_name contact_id_issue_place", C.IDENTITY,
        CONTACT, B.LEGAL_DUTY, KEPT_LETTER, STAFF_READERS)
    + D("requests_app.CertRequest", "contact_national_id contact_id_issue_date", C.IDENTITY,
        CONTACT, B.LEGAL_DUTY, KEPT_LETTER, FULL_VALUE_READERS)
    + D("requests_app.CertRequest", "contact_position contact_agency", C.EMPLOYMENT, CONTACT,
        B.LEGAL_DUTY, KEPT_LETTER, STAFF_READERS)
    + D("requests_app.CertRequest", "contact_mobile", C.CONTACT, CONTACT, B.LEGAL_DUTY,
        KEPT_LETTER, FULL_VALUE_READERS)
    + D("requests_app.CertRequest", "contact_email delivery_address", C.CONTACT, CONTACT,
        B.LEGAL_DUTY, KEPT_LETTER, STAFF_READERS)
    + D("requests_app.CertRequest", "contact_national_id_index", C.IDENTITY, BLIND_INDEX,
        B.LEGAL_DUTY, KEPT_LETTER, ADMINS)
    + D("requests_app.RequestRow", "full_name id_issue_place", C.IDENTITY, ISSUE,
        B.LEGAL_DUTY, KEPT_ROW, LETTER_READERS)
    + D("requests_app.RequestRow", "national_id id_issue_date", C.IDENTITY, ISSUE,
        B.LEGAL_DUTY, KEPT_ROW, FULL_VALUE_READERS)
    + D("requests_app.RequestRow", "national_id_index", C.IDENTITY, BLIND_INDEX,
        B.LEGAL_DUTY, KEPT_ROW, ADMINS)
    + D("requests_app.RequestRow", "date_of_birth", C.BIRTH, ISSUE, B.LEGAL_DUTY,
        KEPT_ROW, FULL_VALUE_READERS)
    + D("requests_app.RequestRow", "position_title work_agency", C.EMPLOYMENT, ISSUE,
        B.LEGAL_DUTY, KEPT_ROW, LETTER_READERS)
    + D("requests_app.RequestRow", "mobile", C.CONTACT, ISSUE, B.LEGAL_DUTY, KEPT_ROW,
        FULL_VALUE_READERS)
    + D("requests_app.RequestRow", "email", C.CONTACT, ISSUE, B.LEGAL_DUTY, KEPT_ROW,
        LETTER_READERS)
    + D("requests_app.RequestRow", "new_value", C.DOCUMENT, ISSUE, B.LEGAL_DUTY,
        KEPT_ROW, LETTER_READERS)
    + D("requests_app.Transition", "note", C.DOCUMENT, ISSUE, B.LEGAL_DUTY, KEPT_WITH_LETTER,
        STAFF_READERS)
    + D("requests_app.LetterDocument", "in_row", C.DOCUMENT, ISSUE, B.LEGAL_DUTY,
        KEPT_SIGNED_LETTER, LETTER_READERS)
    + D("requests_app.LetterVerification", "signatures report", C.CERTIFICATE, ISSUE,
        B.LEGAL_DUTY, KEPT_WITH_LETTER, STAFF_READERS)
    + D("exchange.EdxmlMessage", "content parties", C.DOCUMENT, ISSUE, B.LEGAL_DUTY,
        KEPT_WITH_LETTER, STAFF_READERS)
    # orgmerge: who leaves an agency in a merger
    + D("orgmerge.MergerPlan", "leaving_person_ids", C.EMPLOYMENT, MERGER, B.PUBLIC_TASK,
        KEPT_PLAN, (Role.PROVINCIAL_OFFICER, Role.ADMINISTRATOR))
    + D("orgmerge.MergerApplication", "summary", C.DOCUMENT, MERGER, B.PUBLIC_TASK, KEPT_PLAN,
        (Role.PROVINCIAL_OFFICER, Role.ADMINISTRATOR))
    # dashboard: the signing-activity monitor's tallies per certificate
    + D("dashboard.SigningCertificateMonth", "serial", C.ACTIVITY, SIGNING, B.SECURITY,
        KEPT_SIGNING, STAFF_READERS)
    + D("dashboard.SigningAlert", "serial", C.ACTIVITY, SIGNING, B.SECURITY, KEPT_SIGNING,
        STAFF_READERS)
    # demand and dashboard: signed papers name and carry the certificate of their signer
    + D("demand.DemandDocument", "in_row", C.CERTIFICATE, SIGNED_PAPERS, B.PUBLIC_TASK,
        KEPT_SIGNED, STAFF_READERS)
    + D("dashboard.MonthlyReportDocument", "in_row", C.CERTIFICATE, SIGNED_PAPERS,
        B.PUBLIC_TASK, KEPT_SIGNED, REPORT_READERS)
    # privacy: the incidents themselves may describe the people affected
    + D("privacy.Incident", "description consequences measures contact", C.DOCUMENT,
        INCIDENTS, B.DATA_PROTECTION, KEPT_INCIDENT,
        (Role.DATA_PROTECTION_OFFICER, Role.ADMINISTRATOR))
    # privacy: a data subject's request to correct their record, and the clerk's answer
    + D("privacy.CorrectionRequest", "new_value reason decision_note", C.DOCUMENT,
        CORRECTIONS, B.DATA_PROTECTION, KEPT_CORRECTION,
        (Role.AGENCY_CLERK, SELF))
    # privacy: the access log names who looked and whose data they saw
    + D("privacy.Access", "reason reason_data object_repr", C.ACTIVITY, ACCESS_LOG,
        B.DATA_PROTECTION, KEPT_ACCESS, (Role.DATA_PROTECTION_OFFICER, Role.ADMINISTRATOR, SELF))
    # the username of who looked: the subject is told their name and role instead
    + D("privacy.Access", "actor_label", C.ACTIVITY, ACCESS_LOG, B.DATA_PROTECTION,
        KEPT_ACCESS, (Role.DATA_PROTECTION_OFFICER, Role.ADMINISTRATOR))
    + D("privacy.AccessSubject", "person id_index", C.IDENTITY, ACCESS_LOG, B.DATA_PROTECTION,
        KEPT_ACCESS, (Role.DATA_PROTECTION_OFFICER, Role.ADMINISTRATOR, SELF))
)  # fmt: skip

# Fields whose names look personal but hold no personal data, each with the reason.
ORGANISATION = "an organisation's, not a person's"
NOT_PERSONAL: dict[str, str] = {
    "agencies.Organization.official_email": ORGANISATION,
    "agencies.Organization.address": ORGANISATION,
    "agencies.Organization.mail_domains": ORGANISATION,
    "requests_app.RequestRow.address": "a Mẫu 02/03 row's organisation, device or service",
    "requests_app.RequestRow.national_id_unconfirmed": "a flag, the number is declared",
    "requests_app.CertRequest.recipients": "the letter's receiving agencies (nơi nhận)",
    "portal.NotificationPreference.email": "a yes/no preference",
    "devices.DeviceToken.personalised_at": "when the token was personalised, a time",
}


# Built once: masking asks for an entry for every value of every row it writes (an export
# of a 1,000-row letter asked 4,000 times, rebuilding this a time cost half the export).
_DECLARED: Mapping[str, PersonalField] = MappingProxyType({entry.key: entry for entry in FIELDS})


def declared() -> Mapping[str, PersonalField]:
    return _DECLARED


def by_model() -> dict[str, list[PersonalField]]:
    grouped: dict[str, list[PersonalField]] = {}
    for entry in FIELDS:
        grouped.setdefault(entry.model, []).append(entry)
    return grouped


# What the access log shows for a field's key: the field in words and, for the records whose
# fields are shown in full (masked elsewhere), what kind of record it is. A field without its
# own words is named by its category.
FIELD_LABELS = {
    "full_name": _("họ và tên"),
    "national_id": _("số định danh cá nhân"),
    "contact_national_id": _("số định danh cá nhân"),
    "date_of_birth": _("ngày sinh"),
    "id_issue_date": _("ngày cấp giấy tờ tùy thân"),
    "contact_id_issue_date": _("ngày cấp giấy tờ tùy thân"),
    "id_issue_place": _("nơi cấp giấy tờ tùy thân"),
    "contact_id_issue_place": _("nơi cấp giấy tờ tùy thân"),
    "mobile": _("số điện thoại di động"),
    "contact_mobile": _("số điện thoại di động"),
    "phone": _("số điện thoại của SIM"),
    "official_email": _("thư điện tử"),
    "email": _("thư điện tử"),
    "contact_email": _("thư điện tử"),
    "position": _("chức vụ"),
    "position_title": _("chức vụ"),
    "contact_position": _("chức vụ"),
}
MODEL_LABELS = {
    "agencies.Person": _("hồ sơ cá nhân"),
    "requests_app.RequestRow": _("dòng của văn bản đề nghị"),
    "requests_app.CertRequest": _("người liên hệ của văn bản đề nghị"),
    "devices.Device": _("thiết bị"),
}


def field_label(key: str) -> str:
    """The declared field `app.Model.field` in words, "Số định danh cá nhân (hồ sơ cá nhân)";
    an undeclared key as it is."""
    entry = declared().get(key)
    if entry is None:
        return key
    words = FIELD_LABELS.get(entry.field) or dict(C.choices)[entry.category]
    where = MODEL_LABELS.get(entry.model)
    text = f"{words} ({where})" if where else str(words)
    return text[:1].upper() + text[1:]
