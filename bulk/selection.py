"""What a bulk job selects: the rows a register's own FilterSet finds within the user's scope
(the same FilterSet as the register's page and API), and what a preview shows of them
(docs/bulk.md). Reads only."""

from dataclasses import dataclass, field
from types import SimpleNamespace

from django.conf import settings
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _

from bulk.choices import Register
from certificates.choices import REASONS_BY_SUBJECT_KIND, RevocationReason, SubjectKind
from certificates.filters import CertificateFilterSet
from certificates.models import Certificate
from portal.errors import DomainError

SAMPLE_SIZE = 10


def max_items() -> int:
    return settings.PORTAL_BULK_MAX_ITEMS


def _filterset(query: str, user) -> CertificateFilterSet:
    data = QueryDict(query or "", mutable=False)
    base = Certificate.objects.visible_to(user)
    return CertificateFilterSet(data, queryset=base, request=SimpleNamespace(user=user))


def register_rows(*, register: str, query: str, user) -> tuple[QuerySet, str]:
    """The rows `query` finds in `register` within `user`'s scope, and the query reduced to
    the filter's own fields (what the job stores). An invalid filter is refused in words."""
    if register != Register.CERTIFICATES:
        raise DomainError(_("Sổ này không có thao tác hàng loạt."), code="register")
    filterset = _filterset(query, user)
    if not filterset.is_valid():
        errors = "; ".join(
            f"{filterset.form.fields[name].label}: {' '.join(messages)}"
            if name in filterset.form.fields
            else " ".join(messages)
            for name, messages in filterset.form.errors.items()
        )
        raise DomainError(_("Bộ lọc không hợp lệ: %(errors)s") % {"errors": errors}, code="filter")
    kept = QueryDict(mutable=True)
    for name in filterset.form.fields:
        for value in filterset.data.getlist(name):
            if value not in ("", None):
                kept.appendlist(name, value)
    return filterset.qs.order_by(), kept.urlencode()


def revocation_reasons(subject_kinds) -> list[tuple[str, str]]:
    """The Art. 17 cases that apply to every kind of subscriber among `subject_kinds` (a
    renewal's "superseded" never: it is the portal's own)."""
    allowed = set(RevocationReason.values) - {RevocationReason.SUPERSEDED}
    for kind in subject_kinds:
        allowed &= set(REASONS_BY_SUBJECT_KIND.get(kind, ()))
    return [(value, label) for value, label in RevocationReason.choices if value in allowed]


@dataclass
class Preview:
    query: str
    count: int
    sample: list = field(default_factory=list)
    subject_kinds: list[str] = field(default_factory=list)
    reasons: list[tuple[str, str]] = field(default_factory=list)
    organizations: int = 0  # how many are organisations' certificates (approved by default)
    too_many: bool = False
    cap: int = 0


def preview(*, register: str, query: str, user) -> Preview:
    """How many rows the filter finds, the first few, and what may be done to them."""
    rows, kept = register_rows(register=register, query=query, user=user)
    cap = max_items()
    count = rows.count()
    kinds = sorted(set(rows.values_list("subject_kind", flat=True).distinct()))
    sample = list(
        rows.select_related("agency").defer("der").order_by("-not_before", "-pk")[:SAMPLE_SIZE]
    )
    return Preview(
        query=kept,
        count=count,
        sample=sample,
        subject_kinds=kinds,
        reasons=revocation_reasons(kinds),
        organizations=rows.filter(subject_kind=SubjectKind.ORGANIZATION).count()
        if SubjectKind.ORGANIZATION in kinds
        else 0,
        too_many=count > cap,
        cap=cap,
    )


def too_many_message(cap: int) -> str:
    return _(
        "Bộ lọc tìm thấy hơn %(cap)s đối tượng: một việc hàng loạt nhận tối đa %(cap)s. "
        "Hãy lọc hẹp hơn (theo cơ quan, tỉnh, trạng thái…) rồi thực hiện từng phần."
    ) % {"cap": f"{cap:,}".replace(",", ".")}


def filter_terms(query: str, user) -> list[tuple[str, str]]:
    """The job's filter as a person reads it: (label, value) for each field it sets, choices
    and organisations by their names ("Cơ quan quản lý", "Sở Y tế tỉnh Lai Châu"), not ids."""
    filterset = _filterset(query, user)
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
