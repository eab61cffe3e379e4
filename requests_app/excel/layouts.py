"""The two sheet layouts the letters' import reads and the export writes (see the package
docstring): their header rows, and which file column each row field comes from."""

from django.utils.translation import gettext_lazy

from requests_app.choices import SimCarrier

LAYOUT_MAU01 = "mau01"
LAYOUT_CA = "ca19"
LAYOUT_LABELS = {
    LAYOUT_MAU01: gettext_lazy("Danh sách theo Mẫu 01 (11 cột)"),
    LAYOUT_CA: gettext_lazy("Bảng của Cục CTS&BMTT (19 cột)"),
}

# (header as written, fragments of which one must appear in the normalised header)
MAU01_HEADERS = [
    ("STT", ("stt",)),
    ("Họ và tên", ("họ và tên", "họ tên")),
    ("Ngày sinh", ("ngày sinh",)),
    ("Số định danh cá nhân / ngày cấp, nơi cấp", ("định danh", "cccd", "căn cước")),
    ("Địa chỉ thư điện tử công vụ", ("thư điện tử", "email", "e-mail")),
    ("Tên cơ quan, tổ chức công tác", ("cơ quan", "tổ chức")),
    ("Tỉnh/Thành phố", ("tỉnh", "thành phố")),
    ("Chức vụ", ("chức vụ",)),
    ("Số điện thoại di động", ("điện thoại",)),
    ("Số hiệu chứng thư cũ (nếu có)", ("chứng thư cũ", "serial", "số hiệu")),
    ("SIM PKI", ("sim",)),
]
CA_HEADERS = [
    ("STT", ("stt",)),
    ("Họ tên", ("họ tên", "họ và tên")),
    ("Ngày sinh", ("ngày sinh",)),
    ("CCCD", ("cccd", "định danh", "căn cước")),
    ("Nơi cấp", ("nơi cấp",)),
    ("Ngày cấp", ("ngày cấp",)),
    ("Địa chỉ thư điện tử công vụ", ("thư điện tử", "email", "e-mail")),
    ("Tổ chức cấp 1", ("cấp 1",)),
    ("Tổ chức cấp 2", ("cấp 2",)),
    ("Tổ chức cấp 3", ("cấp 3",)),
    ("Tổ chức cấp 4", ("cấp 4",)),
    ("Tỉnh thành phố", ("tỉnh", "thành phố")),
    ("Tỉnh/Thành phố", ("tỉnh", "thành phố")),
    ("Chức vụ", ("chức vụ",)),
    ("Điện thoại", ("điện thoại",)),
    ("Serial CTS cũ", ("serial", "cts cũ", "chứng thư cũ")),
    ("Nhà mạng", ("nhà mạng",)),
    ("Là chuyển số (X)", ("chuyển số",)),
    ("Loại thiết bị", ("loại thiết bị", "thiết bị")),
]
LAYOUT_HEADERS = {LAYOUT_MAU01: MAU01_HEADERS, LAYOUT_CA: CA_HEADERS}

# Which file column a row field came from, to name it in the error report.
FIELD_COLUMN = {
    LAYOUT_MAU01: {
        "full_name": "Họ và tên",
        "date_of_birth": "Ngày sinh",
        "national_id": "Số định danh cá nhân / ngày cấp, nơi cấp",
        "id_issue_date": "Số định danh cá nhân / ngày cấp, nơi cấp",
        "id_issue_place": "Số định danh cá nhân / ngày cấp, nơi cấp",
        "email": "Địa chỉ thư điện tử công vụ",
        "work_agency": "Tên cơ quan, tổ chức công tác",
        "province_name": "Tỉnh/Thành phố",
        "position_title": "Chức vụ",
        "mobile": "Số điện thoại di động",
        "old_serial": "Số hiệu chứng thư cũ (nếu có)",
        "sim_carrier": "SIM PKI",
        "sim_keep_number": "SIM PKI",
    },
    LAYOUT_CA: {
        "full_name": "Họ tên",
        "date_of_birth": "Ngày sinh",
        "national_id": "CCCD",
        "id_issue_date": "Ngày cấp",
        "id_issue_place": "Nơi cấp",
        "email": "Địa chỉ thư điện tử công vụ",
        "work_agency": "Tổ chức cấp 1..4",
        "province_name": "Tỉnh/Thành phố",
        "position_title": "Chức vụ",
        "mobile": "Điện thoại",
        "old_serial": "Serial CTS cũ",
        "sim_carrier": "Nhà mạng",
        "sim_keep_number": "Là chuyển số (X)",
    },
}
# The two police bodies that issue ID cards, as the CA's sheet writes them (docs/domain.md §3).
CA_ID_PLACES = ("CCSQLHCVTTXH", "CCSĐKQLCTVDLQGVDC")
CA_DEVICE_TYPES = ("TOKEN", "SIM", "SOFT", "RSSP", "HSM")
CARRIER_NAMES = {value: value for value in SimCarrier.values} | {
    "vina": SimCarrier.VINAPHONE,
    "vinafone": SimCarrier.VINAPHONE,
    "mobi": SimCarrier.MOBIFONE,
    "mobiphone": SimCarrier.MOBIFONE,
}
