"""Benchmark of letter rendering (portal.lib.pdf.render_pdf with the real Mẫu templates).

    python bench/bench_pdf.py

No database: the letter's context is built in memory with the shape
requests_app.documents.letter_document() gives the templates. Prints, after one warm-up
render (fonts and stylesheet parsed once per process, as in a long-lived worker):

1. a 1-page letter (Mẫu 02, 3 rows, portrait): median of 5 renders (goal: at most 300 ms);
2. a 500-row letter (Mẫu 01, landscape, the widest table): one render (goal: at most 4 s);

with the machine's load average, since rendering is CPU-bound and a shared machine slows it.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import date
from types import SimpleNamespace

from _setup import configure  # noqa: E402 - bench/ is on the path

configure()

GOAL_ONE_PAGE = 0.300
GOAL_500_ROWS = 4.0


def letter_context(form: str, rows: int) -> dict:
    from agencies.documents import date_line
    from portal.lib.vnwords import quantity_text

    letter = SimpleNamespace(
        contact_name="Nguyễn Thị Thu Hà",
        contact_national_id="012190004321",
        contact_id_issue_place="CCSQLHCVTTXH",
        contact_position="Chánh Văn phòng",
        contact_mobile="0912100101",
        contact_email="ha@laichau.gov.vn",
        delivery_address="Phường Đông Phong, tỉnh Lai Châu",
        contact_agency="Sở Tài chính",
    )
    row = SimpleNamespace(
        full_name="Hoàng Thị Ngọc Ánh",
        national_id="012191007788",
        id_issue_place="CCSQLHCVTTXH",
        email="anhhtn@laichau.gov.vn",
        work_agency="Sở Tài chính",
        province_name="Lai Châu",
        position_title="Chuyên viên",
        mobile="0987654321",
        old_serial="",
        organization_name="Trung tâm Lưu trữ",
        address="Phường Đông Phong",
        tax_code="6200123456",
        budget_code="1123456",
    )
    return {
        "header": {
            "superior": "UBND TỈNH LAI CHÂU",
            "agency_name": "SỞ TÀI CHÍNH",
            "number": "12/STC-CKS",
            "subject": "V/v đề nghị cấp chứng thư chữ ký số chuyên dùng công vụ",
            "date_line": date_line("Lai Châu", date(2026, 2, 5)),
        },
        "letter": letter,
        "agency_name": "Sở Tài chính tỉnh Lai Châu",
        "addressee": "Cục Chứng thực số và Bảo mật thông tin, Ban Cơ yếu Chính phủ",
        "addressee_short": "Cục Chứng thực số và Bảo mật thông tin",
        "provincial_office": "Sở Khoa học và Công nghệ tỉnh Lai Châu",
        "wide": form == "01",
        "doc_rows": [
            {
                "position": n,
                "row": row,
                "date_of_birth": "19/08/1991",
                "id_issue_date": "04/03/2022",
                "sim": "Viettel/cs",
            }
            for n in range(1, rows + 1)
        ],
        "quantity": quantity_text(rows),
        "contact_id_issue_date": "01/07/2021",
        "signer_name": "Trần Văn Hùng",
    }


def render(form: str, rows: int) -> tuple[float, int]:
    from portal.lib.pdf import render_pdf

    started = time.perf_counter()
    pdf = render_pdf(f"requests_app/pdf/mau_{form}.html", letter_context(form, rows))
    return time.perf_counter() - started, len(pdf)


def main() -> None:
    import django

    django.setup()
    load = os.getloadavg()[0]
    render("02", 1)  # warm-up: fonts, stylesheet
    one_page = statistics.median(render("02", 3)[0] for _ in range(5))
    many, size = render("01", 500)
    print(f"load average (1 min): {load:.2f} on {os.cpu_count()} cores")
    verdict = "OK" if one_page <= GOAL_ONE_PAGE else "OVER"
    print(f"1-page letter (Mẫu 02, 3 rows): {one_page * 1000:.0f} ms  goal ≤ 300 ms  {verdict}")
    verdict = "OK" if many <= GOAL_500_ROWS else "OVER"
    print(f"500-row letter (Mẫu 01): {many:.2f} s, {size // 1024} KiB  goal ≤ 4 s  {verdict}")


if __name__ == "__main__":
    main()
