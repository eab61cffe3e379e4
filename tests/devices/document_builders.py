"""Mẫu 07, 08 and 09 of agency A with Vietnamese data in every field, made on a fixed day:
what the device document tests (PDF and Word) render and look for. The `token` they are made
for is the fixture of tests/conftest.py."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import time_machine

from devices.choices import ReceiverKind, ReturnReason
from devices.services import (
    device_return_obligation_open,
    handover_notice_create,
    loss_report_create,
    return_minutes_create,
)
from tests import factories as f

DAY = datetime(2026, 3, 9, 14, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
HEADER = [
    "UBND TỈNH LAI CHÂU",
    "SỞ TÀI CHÍNH",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Lai Châu, ngày 09 tháng 3 năm 2026",
]


def _notice(cast, token):
    with time_machine.travel(DAY, tick=False):
        return handover_notice_create(
            agency=cast.agency_a,
            devices=[token],
            acknowledged={token.pk},
            handed_on=DAY.date(),
            by=cast.clerk_a,
        )


def _minutes(cast, token):
    notice = _notice(cast, token)
    token.refresh_from_db()
    f.CAOrgFactory()
    device_return_obligation_open(
        device=token,
        reason=ReturnReason.REVOKED,
        notified_on=DAY.date(),
        by=None,
        certificate_serial="54AB0000DEADBEEF",
    )
    token.refresh_from_db()
    with time_machine.travel(DAY, tick=False):
        minutes = return_minutes_create(
            agency=cast.agency_a,
            devices=[token],
            held_at=DAY,
            place="Hội trường Sở Tài chính",
            receiver_kind=ReceiverKind.CA,
            agency_representative="Nguyễn Thị Thu Hà",
            agency_representative_title="Chánh Văn phòng",
            by=cast.clerk_a,
        )
    assert notice is not None
    return minutes


def _loss(cast, token):
    _notice(cast, token)
    token.refresh_from_db()
    with time_machine.travel(DAY, tick=False):
        return loss_report_create(
            device=token,
            lost_on=date(2026, 3, 7),
            lost_time=time(17, 45),
            representative_name="Lò Văn Minh",
            representative_position="Chánh Văn phòng",
            lost_place="Bến xe khách Lai Châu",
            circumstances="Để quên trên xe khách tuyến Lai Châu – Điện Biên.",
            held_place="Phòng họp Sở Tài chính",
            measures="Đề nghị thu hồi chứng thư (Mẫu 05).",
            by=cast.clerk_a,
        )


BUILDERS = {"07": _notice, "08": _minutes, "09": _loss}
SHOWN = {
    "07": [
        "Kính gửi: Cục Chứng thực số và Bảo mật thông tin, Ban Cơ yếu Chính phủ.",
        "Phạm Thị Hường",
        "VT26000777",
        "09/03/2026",
        "01 (bằng chữ: một)",
        "Nơi nhận:",
    ],
    "08": [
        "BIÊN BẢN",
        "Hôm nay, vào hồi 14 giờ 30, ngày 09/03/2026, tại Hội trường Sở Tài chính",
        "Bên giao:",
        "Bên nhận:",
        "Nguyễn Thị Thu Hà, chức vụ: Chánh Văn phòng",
        "Phạm Thị Hường",
        "54AB0000DEADBEEF",
        "Thu hồi",
        "ĐẠI DIỆN BÊN GIAO",
        "ĐẠI DIỆN BÊN NHẬN",
    ],
    "09": [
        "BIÊN BẢN",
        "Xác nhận thất lạc thiết bị lưu khóa bí mật",
        "Phòng họp Sở Tài chính",
        "Phạm Thị Hường",
        "Ông/Bà: Lò Văn Minh, chức vụ: Chánh Văn phòng.",
        "17:45, ngày 07/03/2026",
        "Bến xe khách Lai Châu",
        "Để quên trên xe khách tuyến Lai Châu – Điện Biên.",
        "Đề nghị thu hồi chứng thư (Mẫu 05).",
        "THUÊ BAO",
    ],
}
