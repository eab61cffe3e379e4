from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgKind(models.TextChoices):
    MINISTRY = "ministry", _("Bộ, ngành trung ương")
    PROVINCE = "province", _("Tỉnh, thành phố")
    PROVINCIAL_OFFICE = "provincial_office", _("Sở Khoa học và Công nghệ")
    AGENCY = "agency", _("Cơ quan quản lý trực tiếp")
    UNIT = "unit", _("Đơn vị trực thuộc")
    CA = "ca", _("Tổ chức chứng thực")


class Role(models.TextChoices):
    AGENCY_CLERK = "agency_clerk", _("Cán bộ đầu mối cơ quan")
    AGENCY_HEAD = "agency_head", _("Lãnh đạo cơ quan")
    PROVINCIAL_OFFICER = "provincial_officer", _("Cán bộ Sở KH&CN")
    CA_OPERATOR = "ca_operator", _("Cán bộ Cục CTS&BMTT")
    SUBSCRIBER = "subscriber", _("Thuê bao")
    ADMINISTRATOR = "administrator", _("Quản trị hệ thống")
    # Law 91/2025/QH15: the person in charge of personal-data protection. Sees the privacy
    # pages (inventory, incidents; docs/privacy.md), no letter, certificate or device.
    DATA_PROTECTION_OFFICER = "data_protection_officer", _("Cán bộ bảo vệ dữ liệu cá nhân")


class SigningAuthority(models.TextChoices):
    """In what capacity an agency head's account signs (Nghị định 30/2020, Art. 13 and
    Phụ lục I; docs/domain.md §10.1): in its own name, or on behalf of the head whose title is
    the membership's `on_behalf_of`."""

    OWN = "", _("Ký với chức vụ của mình")
    KT = "KT", _("KT. (ký thay người đứng đầu)")
    Q = "Q", _("Q. (quyền người đứng đầu)")
    TL = "TL", _("TL. (thừa lệnh người đứng đầu)")
    TUQ = "TUQ", _("TUQ. (thừa ủy quyền người đứng đầu)")


# Roles that open more than one's own organisation's letters (docs/approvals.md, "Granting a
# privileged role"): granting one through the admin waits for a second person's approval.
PRIVILEGED_ROLES = frozenset(
    {Role.CA_OPERATOR, Role.PROVINCIAL_OFFICER, Role.ADMINISTRATOR, Role.DATA_PROTECTION_OFFICER}
)
