"""The privacy tests' people: data protection officers (a role held without an organisation)
and an incident recorded by one of them."""

from datetime import timedelta

from django.utils import timezone

from agencies.choices import Role
from privacy.choices import DataCategory
from privacy.services import incident_record
from tests import factories as f


def officer(username="dpo", **fields):
    user = f.UserFactory(username=username, **fields)
    f.MembershipFactory(user=user, role=Role.DATA_PROTECTION_OFFICER, organization=None)
    return user


def record(by, *, hours_ago=5, **overrides):
    data = {
        "title": "Gửi nhầm danh sách cán bộ",
        "detected_at": timezone.now() - timedelta(hours=hours_ago),
        "categories": [DataCategory.IDENTITY, DataCategory.BIRTH],
        "subjects_count": 37,
        "description": "Tệp danh sách 37 cán bộ (số CCCD, ngày sinh) gửi nhầm địa chỉ thư.",
        "measures": "Đề nghị người nhận xóa tệp; rà soát quy trình gửi.",
        "contact": "Đỗ Thị Lan, cán bộ bảo vệ dữ liệu cá nhân, 0912345678",
        **overrides,
    }
    return incident_record(by=by, **data)
