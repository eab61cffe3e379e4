"""A letter's rows a page at a time, on its read page and in the draft editor
(docs/scale.md §12.6).

A letter has at most a few thousand rows, so numbered pages are fine: each page is one range
of the unique index on (letter, STT) (`row_position_unique`), and the total comes from the
letter's grouped counters (`RequestRowQuerySet.row_figures`) instead of a COUNT of its own.
The list pages' pager (portal.lib.paging) is not used: it walks other lists in other ways.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

from django.core.paginator import Paginator

ROW_PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_ROW_PAGE_SIZE = 50


def _query(request):
    """The query string the page was asked with: the request's own for a GET, the page the
    user is looking at (htmx's `HX-Current-URL`) for an htmx POST from it."""
    if request.method == "GET":
        return request.GET
    current = getattr(getattr(request, "htmx", None), "current_url", None)
    if not current:
        return {}
    return {key: values[-1] for key, values in parse_qs(urlsplit(current).query).items()}


def row_page_size(query) -> int:
    try:
        size = int(query.get("page_size", DEFAULT_ROW_PAGE_SIZE))
    except (TypeError, ValueError):
        return DEFAULT_ROW_PAGE_SIZE
    return size if size in ROW_PAGE_SIZES else DEFAULT_ROW_PAGE_SIZE


def row_page(request, rows, *, count: int | None = None) -> dict:
    """The page of `rows` (a letter's rows ordered by STT) the request asks for, and what the
    pager needs around it. `count`: the letter's number of rows when already known."""
    query = _query(request)
    size = row_page_size(query)
    paginator = Paginator(rows, size)
    if count is not None:
        paginator.__dict__["count"] = count  # a cached_property: no COUNT query
    page = paginator.get_page(query.get("page"))
    rest = {key: value for key, value in _flat(query).items() if key != "page"}
    return {
        "row_page": page,
        "row_pages": list(page.paginator.get_elided_page_range(page.number, on_each_side=2)),
        "row_querystring": urlencode(rest),
        "row_page_sizes": ROW_PAGE_SIZES,
        "row_page_size": size,
        # what the page-size form carries along (the page starts again at 1)
        "row_keep": [(key, value) for key, value in rest.items() if key != "page_size"],
        "row_paged": paginator.num_pages > 1 or size != DEFAULT_ROW_PAGE_SIZE,
    }


def row_address(url: str, row) -> str:
    """`url` (the letter's page or its editor) at the page of rows that shows `row` (default
    page size), scrolled to the row: where a plain POST on a row comes back to."""
    before = row.cert_request.rows.filter(position__lt=row.position).count()
    number = before // DEFAULT_ROW_PAGE_SIZE + 1
    return f"{url}{f'?page={number}' if number > 1 else ''}#dong-{row.pk}"


def _flat(query) -> dict:
    if hasattr(query, "lists"):
        return {key: values[-1] for key, values in query.lists()}
    return dict(query)
