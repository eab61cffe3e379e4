"""Pagination of every list page, with the page-size choice the filter bar offers."""

from django.core.paginator import Paginator

PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_PAGE_SIZE = 25


def page_size(request) -> int:
    """The page size asked for, if it is one of PAGE_SIZES; the default otherwise."""
    try:
        size = int(request.GET.get("page_size", DEFAULT_PAGE_SIZE))
    except ValueError:
        return DEFAULT_PAGE_SIZE
    return size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE


def paginate(request, queryset) -> dict:
    """The page of `queryset` asked for, and what the template needs around it: the query
    string without the page number (for pager links) and the page-size choice."""
    size = page_size(request)
    page = Paginator(queryset, size).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "page": page,
        "querystring": query.urlencode(),
        "page_sizes": PAGE_SIZES,
        "page_size": size,
    }
