"""portal.lib.exports: the "Xuất Excel" query string and the export's dates."""

from datetime import UTC, date, datetime

from django.test import RequestFactory

from portal.lib.exports import day, export_query, moment, wants_export


def test_the_export_query_keeps_the_filters_and_drops_the_page():
    request = RequestFactory().get("/", {"q": "Lò", "status": "valid", "page": "3"})
    assert export_query(request) == "q=L%C3%B2&status=valid&xuat=xlsx"
    # A cursor page or a jump exports the whole list too.
    deeper = RequestFactory().get(
        "/", {"status": "valid", "cursor": "abc:1:x", "den": "01/01/2026"}
    )
    assert export_query(deeper) == "status=valid&xuat=xlsx"
    assert not wants_export(request)
    assert wants_export(RequestFactory().get("/", {"xuat": "xlsx"}))


def test_dates_are_written_dd_mm_yyyy_in_local_time():
    assert day(date(2026, 1, 5)) == "05/01/2026"
    assert day(None) == ""
    # 23:30 UTC on 31/12 is already 01/01 in Hà Nội (UTC+7).
    late = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert day(late) == "01/01/2027"
    assert moment(late) == "01/01/2027 06:30"
