from django.db import models
from django.utils.translation import gettext_lazy as _


class FormKind(models.TextChoices):
    ISSUE_PERSON = "01", _("Mẫu 01 – Cấp chứng thư cho cá nhân")
    ISSUE_ORGANIZATION = "02", _("Mẫu 02 – Cấp chứng thư cho cơ quan, tổ chức")
    ISSUE_DEVICE = "03", _("Mẫu 03 – Cấp chứng thư cho thiết bị, dịch vụ, phần mềm")
    RENEW_CHANGE = "04", _("Mẫu 04 – Gia hạn, thay đổi thông tin chứng thư")
    REVOKE = "05", _("Mẫu 05 – Thu hồi chứng thư")
    RECOVER_DEVICE = "06", _("Mẫu 06 – Khôi phục thiết bị lưu khóa bí mật")


ISSUE_FORMS = {FormKind.ISSUE_PERSON, FormKind.ISSUE_ORGANIZATION, FormKind.ISSUE_DEVICE}
# docs/domain.md §4: since 2025 the Sở KH&CN processes renewals, changes of info and the recovery of
# USB tokens itself; a Mẫu 06 for another kind of device goes on to the CA
# (CertRequest.processed_by_province decides per letter).
PROVINCE_PROCESSED_FORMS = {FormKind.RENEW_CHANGE, FormKind.RECOVER_DEVICE}
# Forms the CA may receive: issuance, revocation, and recovery of non-token devices.
CA_FORMS = ISSUE_FORMS | {FormKind.REVOKE, FormKind.RECOVER_DEVICE}
# The kind of the ground floor's import jobs (portal.ImportJob) that add rows to a letter; the
# job's `target_id` is the letter's key.
LETTER_IMPORT = "letter_rows"


class Status(models.TextChoices):
    DRAFT = "draft", _("Dự thảo")
    AWAITING_HEAD = "awaiting_head", _("Chờ lãnh đạo ký")
    ISSUED = "issued", _("Đã ban hành")
    PROVINCE_REVIEW = "province_review", _("Sở KH&CN đang xem xét")
    FORWARDED = "forwarded", _("Đã chuyển CA")
    IN_PROCESS = "in_process", _("Đang xử lý")
    # The worker gave up after PORTAL_PROCESSING_MAX_ATTEMPTS attempts; the processor retries
    # (docs/processing.md §4.5).
    PROCESSING_FAILED = "processing_failed", _("Xử lý thất bại")
    DONE = "done", _("Hoàn thành")
    REFUSED = "refused", _("Bị từ chối")
    CANCELLED = "cancelled", _("Đã hủy")


TERMINAL_STATUSES = {Status.DONE, Status.REFUSED, Status.CANCELLED}
EDITABLE_STATUSES = {Status.DRAFT}


class Outcome(models.TextChoices):
    PENDING = "pending", _("Chờ xem xét")
    ACCEPTED = "accepted", _("Chấp nhận")
    REFUSED = "refused", _("Từ chối")
    DONE = "done", _("Đã thực hiện")
    FAILED = "failed", _("Lỗi khi thực hiện")
    # The portal stopped the row: the device holding its certificate's key was reported
    # lost, so the certificate can only be revoked (docs/domain.md §3.8); the note says so.
    STOPPED = "stopped", _("Đã dừng")


FINAL_OUTCOMES = {Outcome.REFUSED, Outcome.DONE, Outcome.STOPPED}


class SimCarrier(models.TextChoices):
    VIETTEL = "viettel", "Viettel"
    VINAPHONE = "vinaphone", "Vinaphone"
    MOBIFONE = "mobifone", "Mobifone"


class KeyStorage(models.TextChoices):
    HSM = "hsm", _("HSM")
    TOKEN = "token", _("USB Token")
    SOFTWARE = "software", _("Phần mềm")


class ChangeField(models.TextChoices):
    """What a Mẫu 04 change of information may change (Decree 68 Art. 15)."""

    COMMON_NAME = "common_name", _("Tên chứng thư (họ tên, tên cơ quan, tên dịch vụ)")
    EMAIL = "email", _("Địa chỉ thư điện tử công vụ")
    UNIT = "unit", _("Đơn vị công tác (trong cơ quan)")
    # A person moving in from another agency: filed by the receiving agency, with the
    # person's ID number, the unit and the position there (docs/domain.md §5.3.1).
    AGENCY = "agency", _("Chuyển cơ quan công tác (cơ quan, đơn vị, chức vụ)")
