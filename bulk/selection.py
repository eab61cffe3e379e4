"""What a bulk job selects: the rows a register's own FilterSet finds within the user's scope
(the same FilterSet as the register's page and API, `bulk.registers`), and what a preview
shows of them (docs/bulk.md). Reads only."""

from dataclasses import dataclass, field
from types import SimpleNamespace

from django.conf import settings
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _

from bulk.registers import RegisterSpec, register_spec, revocation_reasons
from portal.errors import DomainError

__all__ = [
    "Preview",
    "filter_terms",
    "preview",
    "register_rows",
    "revocation_reasons",
    "too_many_message",
]

SAMPLE_SIZE = 10


def max_items() -> int:
    return settings.PORTAL_BULK_MAX_ITEMS


def _filterset(spec: RegisterSpec, query: str, user):
    data = QueryDict(query or "", mutable=False)
    return spec.filterset(data, queryset=spec.base(user), request=SimpleNamespace(user=user))


def register_rows(*, register: str, query: str, user) -> tuple[QuerySet, str]:
    """The rows `query` finds in `register` within `user`'s scope, and the query reduced to
    the filter's own fields (what the job stores). An invalid filter is refused in words."""
    filterset = _filterset(register_spec(register), query, user)
    if not filterset.is_valid():
        # Every error is a field's: the registers' filters have no form-wide check.
        errors = "; ".join(
            f"{filterset.form.fields[name].label}: {' '.join(messages)}"
            for name, messages in filterset.form.errors.items()
        )
        raise DomainError(_("Bộ lọc không hợp lệ: %(errors)s") % {"errors": errors}, code="filter")
    kept = QueryDict(mutable=True)
    for name in filterset.form.fields:
        for value in filterset.data.getlist(name):
            if value not in ("", None):
                kept.appendlist(name, value)
    return filterset.qs.order_by(), kept.urlencode()


@dataclass
class SampleRow:
    key: str
    url: str
    cells: list[str]


@dataclass
class Preview:
    register: RegisterSpec
    query: str
    count: int
    sample: list = field(default_factory=list)
    rows: list[SampleRow] = field(default_factory=list)
    subject_kinds: list[str] = field(default_factory=list)
    reasons: list[tuple[str, str]] = field(default_factory=list)
    organizations: int = 0  # how many are organisations' certificates (approved by default)
    too_many: bool = False
    cap: int = 0


def preview(*, register: str, query: str, user) -> Preview:
    """How many rows the filter finds, the first few, and what may be done to them."""
    spec = register_spec(register)
    rows, kept = register_rows(register=register, query=query, user=user)
    cap = max_items()
    count = rows.count()
    sample = list(spec.sample(rows)[:SAMPLE_SIZE])
    return Preview(
        register=spec,
        query=kept,
        count=count,
        sample=sample,
        rows=[
            SampleRow(
                key=spec.key(obj),
                url=spec.object_url(obj),
                cells=[str(column.cell(obj)) for column in spec.columns],
            )
            for obj in sample
        ],
        too_many=count > cap,
        cap=cap,
        **spec.facts(rows),
    )


def too_many_message(cap: int) -> str:
    return _(
        "Bộ lọc tìm thấy hơn %(cap)s đối tượng: một việc hàng loạt nhận tối đa %(cap)s. "
        "Hãy lọc hẹp hơn (theo cơ quan, tỉnh, trạng thái…) rồi thực hiện từng phần."
    ) % {"cap": f"{cap:,}".replace(",", ".")}


def filter_terms(register: str, query: str, user) -> list[tuple[str, str]]:
    """The job's filter as a person reads it: (label, value) for each field it sets, choices
    and organisations by their names ("Cơ quan quản lý", "Sở Y tế tỉnh Lai Châu"), not ids."""
    filterset = _filterset(register_spec(register), query, user)
    form = filterset.form
    valid = form.is_valid()
    terms = []
    for name, formfield in form.fields.items():
        raw = [v for v in filterset.data.getlist(name) if v not in ("", None)]
        if not raw:
            continue
        value = form.cleaned_data.get(name) if valid else None
        if value in (None, ""):
            shown = ", ".join(raw)
        elif hasattr(formfield, "queryset"):
            shown = str(value)
        else:
            shown = str(dict(getattr(formfield, "choices", ())).get(value, value))
        terms.append((str(formfield.label), shown))
    return terms
