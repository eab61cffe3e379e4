"""Cursor pagination for every API list (docs/api.md §9): a page is "the rows after
this one" on the primary key (indexed, unique, never changes), so the hundredth page costs what
the first costs, and a row added while a caller walks the list is neither skipped nor repeated.
No total count: counting a million certificates for every page is what this avoids."""

from django.utils.translation import gettext_lazy as _
from rest_framework.pagination import CursorPagination, PageNumberPagination


class CursorPage(CursorPagination):
    # Newest first; the list's FilterSet narrows the rows, the cursor only walks them.
    ordering = "-pk"
    page_size_query_param = "page_size"
    max_page_size = 200
    invalid_cursor_message = _(
        "Con trỏ trang không hợp lệ: hãy dùng địa chỉ “next” hoặc “previous” của trang trước."
    )


class NumberedPage(PageNumberPagination):
    """Numbered pages for the short lists: those ordered by meaning rather than by creation (a
    user's open deadlines, soonest first; their notifications, unread first), which a cursor on
    one unique column cannot follow, and a province's few merger plans."""

    invalid_page_message = _("Không có trang này.")
