"""What a bulk job can be and where it stands (docs/bulk.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Register(models.TextChoices):
    """The registers a bulk job may select from (docs/bulk.md, "Registers")."""

    CERTIFICATES = "certificates", _("Sổ đăng ký chứng thư số")
    DEVICES = "devices", _("Thiết bị lưu khóa bí mật")
    LETTERS = "letters", _("Văn bản đề nghị")


class BulkAction(models.TextChoices):
    REVOKE = "revoke", _("Thu hồi chứng thư số")
    DRAFT_REVOKE = "draft_revoke", _("Lập dự thảo Mẫu 05 (thu hồi)")
    DRAFT_RENEW = "draft_renew", _("Lập dự thảo Mẫu 04 (gia hạn)")
    REMIND = "remind", _("Nhắc cơ quan quản lý")
    REMIND_RETURN = "remind_return", _("Nhắc bàn giao lại thiết bị (Mẫu 08)")


class JobStatus(models.TextChoices):
    WAITING_APPROVAL = "waiting_approval", _("Chờ phê duyệt")
    QUEUED = "queued", _("Đã xếp hàng chờ thực hiện")
    RUNNING = "running", _("Đang thực hiện")
    DONE = "done", _("Đã xong")
    FAILED = "failed", _("Không thành công")
    CANCELLED = "cancelled", _("Đã hủy")


# A job in one of these is still to be carried out (the stall sweep looks at them).
ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)
TERMINAL_STATUSES = (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)


class ItemStatus(models.TextChoices):
    PENDING = "pending", _("Chờ thực hiện")
    DONE = "done", _("Đã thực hiện")
    FAILED = "failed", _("Không thực hiện được")
    SKIPPED = "skipped", _("Bỏ qua")
