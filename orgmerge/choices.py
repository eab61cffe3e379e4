from django.db import models
from django.utils.translation import gettext_lazy as _


class MergerCase(models.TextChoices):
    """The three cases of Công văn 275/BCY-CTSBMTT §1.1 (docs/domain.md §6.2)."""

    NEW_NAME = "a", _("(a) Sáp nhập thành cơ quan, tổ chức với tên mới")
    KEEPS_NAME = "b", _("(b) Sáp nhập vào một cơ quan, tổ chức giữ nguyên tên")
    NEW_SUPERIOR = "c", _("(c) Thay đổi cơ quan quản lý cấp trên")
    # docs/domain.md §6.4: two or more provinces into one; only administrators plan it.
    PROVINCES = "p", _("Hợp nhất tỉnh, thành phố")


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Đang lập")
    APPLYING = "applying", _("Đang thực hiện")
    APPLIED = "applied", _("Đã thực hiện")
    DISCARDED = "discarded", _("Đã hủy")


OPEN_STATUSES = {PlanStatus.DRAFT, PlanStatus.APPLYING}


class ActionKind(models.TextChoices):
    KEEP = "keep", _("Giữ nguyên chứng thư")
    CHANGE_INFO = "change_info", _("Thay đổi thông tin (Mẫu 04)")
    NEW_ISSUE = "new_issue", _("Cấp mới (còn dưới 30 ngày)")
    REVOKE = "revoke", _("Thu hồi (Mẫu 05)")
    RETURN_DEVICE = "return_device", _("Thu hồi thiết bị (Mẫu 08, 5 ngày làm việc)")
    MOVE_LETTER = "move_letter", _("Chuyển hồ sơ sang cơ quan mới")


CERTIFICATE_KINDS = {
    ActionKind.KEEP,
    ActionKind.CHANGE_INFO,
    ActionKind.NEW_ISSUE,
    ActionKind.REVOKE,
}
