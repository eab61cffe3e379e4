"""Pagination of the list pages, with the page-size choice the filter bar offers.

Two pagers (docs/scale.md §12.2):

- `keyset_paginate` for the lists that grow with the country (certificates, devices, letters,
  queues, device documents, return obligations): "Trước / Sau" links carrying an opaque cursor
  on the list's ordering (with the primary key as tiebreaker), a jump to a date or a serial,
  and a row count that never scans more than `COUNT_CAP` + 1 rows. A page costs the same
  however deep it is: the position is a WHERE on the ordering, served by an index, never an
  OFFSET that reads and throws away every row before it.
- `paginate`, numbered pages (Django's Paginator: OFFSET and COUNT), for the short lists
  (monthly reports, a campaign's agencies, a user's notifications).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import reduce
from operator import and_, or_
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import DateTimeField, F, OrderBy, Q
from django.db.models.expressions import Col
from django.utils import timezone
from django.utils.translation import gettext as _

PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_PAGE_SIZE = 25
# Counts: exact up to this many rows, otherwise "more than" (or the planner's estimate for an
# unfiltered table); see `count_rows`.
COUNT_CAP = 1_000
CURSOR_PARAM = "cursor"
JUMP_PARAM = "den"
# Parameters that position a page: dropped from links that position it anew.
POSITION_PARAMS = ("page", CURSOR_PARAM, JUMP_PARAM)


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


# --- counts --------------------------------------------------------------------------------
@dataclass(frozen=True)
class RowCount:
    """How many rows a list has: `exact` when it has at most COUNT_CAP, else `about` (the
    planner's estimate of an unfiltered table) or neither (more than COUNT_CAP)."""

    value: int
    exact: bool = True
    about: bool = False


def count_rows(queryset, cap: int | None = None) -> RowCount:
    """The rule: count at most `cap` + 1 rows (`SELECT COUNT(*) FROM (… LIMIT cap+1)`, cheap on
    every backend); up to `cap` the count is exact ("Tổng số: 842"), above it the list says
    "hơn 1.000". A list that is a whole table without any condition (the CA's registry) takes
    PostgreSQL's `pg_class.reltuples` instead, without counting at all ("khoảng 1.000.000")."""
    cap = COUNT_CAP if cap is None else cap
    if not queryset.query.where.children and not queryset.query.distinct:
        estimate = _table_estimate(queryset)
        if estimate is not None and estimate > cap:
            return RowCount(value=_round(estimate), exact=False, about=True)
    capped = queryset.order_by().values("pk")[: cap + 1].count()
    if capped > cap:
        return RowCount(value=cap, exact=False)
    return RowCount(value=capped)


def _table_estimate(queryset) -> int | None:
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
            [queryset.model._meta.db_table],
        )
        row = cursor.fetchone()
    return row[0] if row and row[0] is not None and row[0] >= 0 else None


def _round(n: int) -> int:
    """Two significant figures: an estimate should not look exact."""
    digits = len(str(n)) - 2
    return round(n, -digits) if digits > 0 else n


# --- keyset pages --------------------------------------------------------------------------
@dataclass(frozen=True)
class Jump:
    """A jump to a place in the list: `term` names the ordering term it positions on, `kind`
    is "date" (typed dd/mm/yyyy) or "text" (a serial, a number), `label` the input's label."""

    term: str
    label: str
    kind: str = "date"


@dataclass
class _Term:
    name: str  # an attribute of the rows (a column or an annotation)
    desc: bool
    nulls_last: bool  # where NULLs come in this walk's direction
    nullable: bool
    output_field: Any = None

    def reversed(self) -> _Term:
        return _Term(
            self.name, not self.desc, not self.nulls_last, self.nullable, self.output_field
        )

    def order_by(self) -> OrderBy:
        if not self.nullable:
            return OrderBy(F(self.name), descending=self.desc)
        return OrderBy(
            F(self.name),
            descending=self.desc,
            nulls_last=self.nulls_last or None,
            nulls_first=(not self.nulls_last) or None,
        )

    def equal(self, value) -> Q:
        if value is None:
            return Q(**{f"{self.name}__isnull": True})
        return Q(**{self.name: value})

    def beyond(self, value) -> Q | None:
        """Rows strictly after `value` in this term's walk (None: no row is)."""
        if value is None:
            return None if self.nulls_last else Q(**{f"{self.name}__isnull": False})
        after = Q(**{f"{self.name}__{'lt' if self.desc else 'gt'}": value})
        if self.nullable and self.nulls_last:
            after |= Q(**{f"{self.name}__isnull": True})
        return after

    def at_or_beyond(self, value) -> Q | None:
        """Rows at or after `value` (None: every row): the index range of a walk's start."""
        if value is None:
            return Q(**{f"{self.name}__isnull": True}) if self.nulls_last else None
        at = Q(**{f"{self.name}__{'lte' if self.desc else 'gte'}": value})
        if self.nullable and self.nulls_last:
            at |= Q(**{f"{self.name}__isnull": True})
        return at


class InvalidCursor(Exception):
    pass


@dataclass
class KeysetPage:
    object_list: list
    has_next: bool = False
    has_previous: bool = False
    next_query: str = ""
    previous_query: str = ""
    first_query: str = ""
    count: RowCount | None = None
    jump: Jump | None = None
    jump_value: str = ""
    # (name, value) pairs of the filters, for the jump form's hidden inputs
    keep: list = field(default_factory=list)
    error: str = ""

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


def _terms(queryset) -> tuple[Any, list[_Term]]:
    """The queryset's ordering as terms on row attributes, ending with a unique tiebreaker
    (the primary key, unless the ordering already is unique), and the queryset annotated with
    whatever term is not a plain attribute (an expression, a related column)."""
    query = queryset.query
    ordering = list(query.order_by) or list(queryset.model._meta.ordering)
    connection = connections[queryset.db]
    nulls_largest = connection.vendor == "postgresql"  # PostgreSQL: NULLs sort as largest
    terms: list[_Term] = []
    extra = {}
    for i, item in enumerate(ordering):
        nulls_last = None
        if isinstance(item, str):
            if item == "?":
                raise TypeError("A keyset pager cannot walk a random ordering.")
            desc, name = item.startswith("-"), item.lstrip("-+")
            expression = F(name)
        else:
            if not isinstance(item, OrderBy):
                item = item.asc()
            desc, expression = item.descending, item.expression
            if item.nulls_last:
                nulls_last = True
            elif item.nulls_first:
                nulls_last = False
            name = expression.name if isinstance(expression, F) else None
        if name == "pk":
            name = queryset.model._meta.pk.attname
        if name is None or "__" in name:
            name = f"_keyset_{i}"
            extra[name] = expression
        terms.append(_Term(name=name, desc=desc, nulls_last=nulls_last, nullable=True))
    if extra:
        queryset = queryset.annotate(**extra)
    probe = queryset.query.chain()
    for term in terms:
        resolved = probe.resolve_ref(term.name, allow_joins=True)
        term.output_field = resolved.output_field
        if isinstance(resolved, Col):
            term.nullable = resolved.target.null
        if term.nulls_last is None:
            term.nulls_last = term.desc != nulls_largest
    pk = queryset.model._meta.pk.attname
    names = {t.name for t in terms}
    if pk not in names and not _unique(queryset.model, terms):
        last_desc = terms[-1].desc if terms else True
        terms.append(_Term(name=pk, desc=last_desc, nulls_last=True, nullable=False))
    return queryset, terms


def _unique(model, terms: list[_Term]) -> bool:
    """Whether the terms' non-null columns include a unique constraint's (no pk needed)."""
    names = {t.name for t in terms if not t.nullable}
    opts = model._meta
    for unique in opts.total_unique_constraints:
        if set(unique.fields) <= names:
            return True
    return any(f.unique and f.attname in names for f in opts.concrete_fields)


def _encode(value):
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _decode(term: _Term, value):
    if value is None:
        return None
    try:
        return term.output_field.to_python(value)
    except (ValidationError, TypeError, ValueError) as exc:
        raise InvalidCursor from exc


def _after(terms: list[_Term], values: list, *, inclusive: bool = False) -> Q:
    """Rows after the position `values` in the walk of `terms` (at it too, if `inclusive`).
    The leading term's range comes first, as its own condition, so the ordering index's scan
    starts at the position (an OR alone would not bound it)."""
    branches = []
    for i, term in enumerate(terms):
        beyond = term.beyond(values[i])
        if beyond is not None:
            branches.append(
                reduce(
                    and_, [t.equal(v) for t, v in zip(terms[:i], values[:i], strict=True)], beyond
                )
            )
    if inclusive:
        branches.append(reduce(and_, [t.equal(v) for t, v in zip(terms, values, strict=True)]))
    condition = reduce(or_, branches) if branches else Q(pk__in=[])
    start = terms[0].at_or_beyond(values[0])
    return condition if start is None else start & condition


def _values(row, terms: list[_Term]) -> list:
    return [getattr(row, term.name) for term in terms]


class _Cursors:
    def __init__(self, terms: list[_Term], model):
        # A cursor is signed for one list's ordering: one from another list, or changed by
        # hand, is refused rather than misread.
        key = ",".join(f"{'-' if t.desc else ''}{t.name}" for t in terms)
        self.salt = f"portal.paging:{model._meta.label}:{key}"
        self.terms = terms

    def dumps(self, values: list, *, backwards: bool) -> str:
        return signing.dumps(
            {"v": [_encode(v) for v in values], "b": int(backwards)}, salt=self.salt
        )

    def loads(self, token: str) -> tuple[list, bool]:
        try:
            payload = signing.loads(token, salt=self.salt)
            raw, backwards = payload["v"], bool(payload["b"])
        except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
            raise InvalidCursor from exc
        if not isinstance(raw, list) or len(raw) != len(self.terms):
            raise InvalidCursor
        return [_decode(t, v) for t, v in zip(self.terms, raw, strict=True)], backwards


def _parse_jump(jump: Jump, text: str, term: _Term):
    """The jump's typed value as a value of the term's column, or None if it is not one."""
    text = text.strip()
    if not text:
        return None
    if jump.kind == "text":
        return text.upper()
    try:
        day = dt.datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            return None
    if isinstance(term.output_field, DateTimeField):
        start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        # Newest first: the day's last moment; oldest first: its first.
        return start + dt.timedelta(days=1, microseconds=-1) if term.desc else start
    return day


def keyset_paginate(request, queryset, *, jump: Jump | None = None) -> dict:
    """The page of `queryset` the request's cursor (or jump) points at, in the queryset's own
    ordering, and what the pager templates need (`partials/_keyset_pager.html`,
    `partials/_row_count.html`). Costs one query for the rows and one for the count, one more
    for a jump on a term that does not lead the ordering; a cursor that is not one of ours shows the first page with a message."""
    size = page_size(request)
    queryset, terms = _terms(queryset)
    cursors = _Cursors(terms, queryset.model)
    forward = queryset.order_by(*(t.order_by() for t in terms))
    reverse_terms = [t.reversed() for t in terms]
    backward = queryset.order_by(*(t.order_by() for t in reverse_terms))

    keep = request.GET.copy()
    for name in POSITION_PARAMS:
        keep.pop(name, None)
    base_query = keep.urlencode()

    def link(values, *, backwards: bool) -> str:
        query = keep.copy()
        query[CURSOR_PARAM] = cursors.dumps(values, backwards=backwards)
        return query.urlencode()

    error = ""
    rows: list = []
    has_next = has_previous = False
    positioned = False
    jump_text = request.GET.get(JUMP_PARAM, "") if jump else ""
    token = request.GET.get(CURSOR_PARAM, "")
    try:
        if jump_text.strip():
            term = next((t for t in terms if t.name == jump.term), None)
            value = _parse_jump(jump, jump_text, term) if term else None
            if value is None:
                error = (
                    _("Ngày không hợp lệ: hãy nhập ngày theo dạng dd/mm/yyyy.")
                    if jump.kind == "date"
                    else _("Hãy nhập giá trị cần đến.")
                )
            else:
                at = term.at_or_beyond(value)
                jumped = forward.filter(at) if at is not None else forward
                if term is terms[0]:
                    # The rows at or beyond the value on the leading term are exactly those
                    # from the first of them on: one query.
                    rows = list(jumped[: size + 1])
                elif (first := jumped.first()) is not None:
                    after_first = _after(terms, _values(first, terms), inclusive=True)
                    rows = list(forward.filter(after_first)[: size + 1])
                has_next, rows = len(rows) > size, rows[:size]
                has_previous = positioned = True
        elif token:
            values, backwards = cursors.loads(token)
            if backwards:
                rows = list(backward.filter(_after(reverse_terms, values))[: size + 1])
                has_previous, rows = len(rows) > size, rows[:size]
                rows.reverse()
                has_next = True
                if len(rows) < size:
                    # Back at the start (or rows were removed): show the first page as it is.
                    rows, has_previous, has_next = [], False, False
                    positioned = False
                else:
                    positioned = True
            else:
                rows = list(forward.filter(_after(terms, values))[: size + 1])
                has_next, rows = len(rows) > size, rows[:size]
                has_previous = positioned = True
    except InvalidCursor:
        error = _("Đường dẫn phân trang không hợp lệ hoặc đã cũ; đây là trang đầu của danh sách.")
        rows, positioned = [], False
    if not positioned and not rows:
        rows = list(forward[: size + 1])
        has_next, rows = len(rows) > size, rows[:size]
        has_previous = False

    page = KeysetPage(
        object_list=rows,
        has_next=has_next and bool(rows),
        has_previous=has_previous,
        next_query=link(_values(rows[-1], terms), backwards=False) if rows else "",
        previous_query=link(_values(rows[0], terms), backwards=True) if rows else "",
        first_query=base_query,
        count=count_rows(queryset),
        jump=jump,
        jump_value=jump_text,
        keep=[(name, value) for name, values in keep.lists() for value in values],
        error=error,
    )
    return {
        "page": page,
        "querystring": base_query,
        "page_sizes": PAGE_SIZES,
        "page_size": size,
    }
