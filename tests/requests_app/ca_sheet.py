"""The CA's 19-column sheet as the tests write it (tests/requests_app/test_excel_import_ca.py
and the data-quality tests)."""

from datetime import date

CA_HEADER = [
    "STT",
    "Họ tên",
    "Ngày sinh (dd/MM/yyyy)",
    "CCCD",
    "Nơi cấp",
    "Ngày cấp",
    "Địa chỉ thư điện tử công vụ",
    "Tổ chức cấp 1",
    "Tổ chức cấp 2",
    "Tổ chức cấp 3",
    "Tổ chức cấp 4",
    "Tỉnh thành phố",
    "Tỉnh/Thành phố",
    "Chức vụ",
    "Điện thoại",
    "Serial CTS cũ",
    "Nhà mạng",
    "Là chuyển số (X)",
    "Loại thiết bị",
]


def ca_line(stt, name, cccd, **overrides):
    values = dict(
        dob=date(1991, 4, 2),
        place="CCSQLHCVTTXH",
        issued="01/07/2021",
        email=f"nguoi{stt}@laichau.gov.vn",
        levels=("UBND tỉnh Lai Châu", "Sở Tài chính", "Phòng Ngân sách", None),
        province="Lai Châu",
        position="Chuyên viên",
        phone=912000100 + stt,
        old="",
        carrier="",
        moved="",
        kind="",
    )
    values.update(overrides)
    return [
        stt,
        name,
        values["dob"],
        cccd,
        values["place"],
        values["issued"],
        values["email"],
        *values["levels"],
        values["province"],
        values["province"],
        values["position"],
        values["phone"],
        values["old"],
        values["carrier"],
        values["moved"],
        values["kind"],
    ]
