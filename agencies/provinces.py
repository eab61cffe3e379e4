"""The 34 provincial-level units after Resolution 202/2025/QH15 (effective 12/6/2025).

Each entry: name, and the former provinces merged into it (empty when unchanged). Kept as
data so merger history can be shown and the demo seed can build the tree.
"""

PROVINCES_2025: list[tuple[str, tuple[str, ...]]] = [
    ("Thành phố Hà Nội", ()),
    ("Thành phố Huế", ()),
    ("Tỉnh Lai Châu", ()),
    ("Tỉnh Điện Biên", ()),
    ("Tỉnh Sơn La", ()),
    ("Tỉnh Lạng Sơn", ()),
    ("Tỉnh Quảng Ninh", ()),
    ("Tỉnh Thanh Hóa", ()),
    ("Tỉnh Nghệ An", ()),
    ("Tỉnh Hà Tĩnh", ()),
    ("Tỉnh Cao Bằng", ()),
    ("Tỉnh Tuyên Quang", ("Tỉnh Hà Giang",)),
    ("Tỉnh Lào Cai", ("Tỉnh Yên Bái",)),
    ("Tỉnh Thái Nguyên", ("Tỉnh Bắc Kạn",)),
    ("Tỉnh Phú Thọ", ("Tỉnh Vĩnh Phúc", "Tỉnh Hòa Bình")),
    ("Tỉnh Bắc Ninh", ("Tỉnh Bắc Giang",)),
    ("Tỉnh Hưng Yên", ("Tỉnh Thái Bình",)),
    ("Thành phố Hải Phòng", ("Tỉnh Hải Dương",)),
    ("Tỉnh Ninh Bình", ("Tỉnh Hà Nam", "Tỉnh Nam Định")),
    ("Tỉnh Quảng Trị", ("Tỉnh Quảng Bình",)),
    ("Thành phố Đà Nẵng", ("Tỉnh Quảng Nam",)),
    ("Tỉnh Quảng Ngãi", ("Tỉnh Kon Tum",)),
    ("Tỉnh Gia Lai", ("Tỉnh Bình Định",)),
    ("Tỉnh Khánh Hòa", ("Tỉnh Ninh Thuận",)),
    ("Tỉnh Lâm Đồng", ("Tỉnh Đắk Nông", "Tỉnh Bình Thuận")),
    ("Tỉnh Đắk Lắk", ("Tỉnh Phú Yên",)),
    ("Thành phố Hồ Chí Minh", ("Tỉnh Bà Rịa - Vũng Tàu", "Tỉnh Bình Dương")),
    ("Tỉnh Đồng Nai", ("Tỉnh Bình Phước",)),
    ("Tỉnh Tây Ninh", ("Tỉnh Long An",)),
    ("Thành phố Cần Thơ", ("Tỉnh Sóc Trăng", "Tỉnh Hậu Giang")),
    ("Tỉnh Vĩnh Long", ("Tỉnh Bến Tre", "Tỉnh Trà Vinh")),
    ("Tỉnh Đồng Tháp", ("Tỉnh Tiền Giang",)),
    ("Tỉnh Cà Mau", ("Tỉnh Bạc Liêu",)),
    ("Tỉnh An Giang", ("Tỉnh Kiên Giang",)),
]

REORGANISATION_DATE = (2025, 6, 12)
