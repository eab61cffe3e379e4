from django.test import RequestFactory

from portal.lib.paging import DEFAULT_PAGE_SIZE, paginate


def test_only_offered_page_sizes_are_honoured_and_the_page_number_is_not_repeated():
    rows = list(range(240))
    good = paginate(RequestFactory().get("/", {"page_size": "100", "page": "2", "q": "x"}), rows)
    assert len(good["page"].object_list) == 100 and good["page"].number == 2
    assert good["querystring"] == "page_size=100&q=x"
    for asked in ("7", "abc", "100000"):
        odd = paginate(RequestFactory().get("/", {"page_size": asked}), rows)
        assert odd["page_size"] == DEFAULT_PAGE_SIZE
