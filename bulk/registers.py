"""The registers a bulk job selects from, one entry each (docs/bulk.md, "Registers"): the
model, read within the user's scope (`visible_to`); the FilterSet its page and API use; the
page it comes from; what a preview shows of the first rows; and how the job's page names and
links each item's object (an item keeps only the object's id; its register is the job's).
Reads only."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Model, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bulk.choices import Register
from certificates.choices import REASONS_BY_SUBJECT_KIND, RevocationReason, SubjectKind
from certificates.filters import CertificateFilterSet
from certificates.models import Certificate
from devices.filters import DeviceFilterSet
from devices.models import Device
from portal.errors import DomainError
from requests_app.filters import CertRequestFilterSet
from requests_app.models import CertRequest


def revocation_reasons(subject_kinds) -> list[tuple[str, str]]:
    """The Art. 17 cases that apply to every kind of subscriber among `subject_kinds` (a
    renewal's "superseded" never: it is the portal's own)."""
    allowed = set(RevocationReason.values) - {RevocationReason.SUPERSEDED}
    for kind in subject_kinds:
        allowed &= set(REASONS_BY_SUBJECT_KIND.get(kind, ()))
    return [(value, label) for value, label in RevocationReason.choices if value in allowed]


def _day(value) -> str:
    """dd/mm/yyyy of a date or an aware datetime (in local time); "—" for none."""
    if value is None:
        return "—"
    if hasattr(value, "tzinfo") and getattr(value, "hour", None) is not None:
        value = timezone.localtime(value)
    return value.strftime("%d/%m/%Y")


@dataclass(frozen=True)
class Column:
    header: Promise | str
    cell: Callable[[object], str]


@dataclass(frozen=True)
class RegisterSpec:
    register: str
    # the register's model: an item's object_id is one of its rows
    model: type[Model]
    # /hang-loat/moi/<slug>/: the bulk page of this register
    slug: str
    # the register's page (a URL name), where "Thao tác hàng loạt" comes from
    list_url: str
    # what its objects are called ("%(n)s thiết bị")
    noun: Promise | str
    # the objects `user` may see (`visible_to`, as the register's page reads them)
    base: Callable[[object], QuerySet]
    filterset: type
    # the preview's first rows, ordered as the register's page, with what the columns read
    sample: Callable[[QuerySet], QuerySet]
    columns: tuple[Column, ...]
    # the object's short name (a serial, a letter's number) and its page
    key: Callable[[object], str]
    object_url: Callable[[object], str]
    # the job's page: the objects of a page of items (by id), and their second column
    items: Callable[[list[int]], QuerySet]
    name_header: Promise | str
    name: Callable[[object], str]
    key_header: Promise | str = gettext_lazy("Số hiệu")
    # what else the preview says of the selection (the certificates': subscriber kinds,
    # the Art. 17 cases that apply, the organisations' certificates)
    facts: Callable[[QuerySet], dict] = field(default=lambda rows: {})

    @property
    def label(self) -> str:
        return Register(self.register).label

    def of_items(self, items: QuerySet) -> QuerySet:
        """The register's objects of `items` (a job's snapshot, docs/bulk.md): the rows the job
        acts on, whatever its filter would find now."""
        return self.model.objects.filter(pk__in=items.values("object_id"))

    def visible_ids(self, user, ids) -> set[int]:
        """Which of the objects `ids` `user` may see (`visible_to`), in one query."""
        return set(self.base(user).filter(pk__in=list(ids)).values_list("pk", flat=True))


def _certificate_facts(rows: QuerySet) -> dict:
    kinds = sorted(set(rows.values_list("subject_kind", flat=True).distinct()))
    return {
        "subject_kinds": kinds,
        "reasons": revocation_reasons(kinds),
        "organizations": rows.filter(subject_kind=SubjectKind.ORGANIZATION).count()
        if SubjectKind.ORGANIZATION in kinds
        else 0,
    }


def _letter_key(letter) -> str:
    return letter.number or f"#{letter.pk}"


CERTIFICATES = RegisterSpec(
    register=Register.CERTIFICATES,
    model=Certificate,
    slug="chung-thu",
    list_url="certificates:list",
    noun=gettext_lazy("chứng thư số"),
    base=lambda user: Certificate.objects.visible_to(user),
    filterset=CertificateFilterSet,
    sample=lambda rows: rows.select_related("agency").defer("der").order_by("-not_before", "-pk"),
    columns=(
        Column(gettext_lazy("Tên chứng thư"), lambda c: c.common_name),
        Column(gettext_lazy("Loại thuê bao"), lambda c: c.get_subject_kind_display()),
        Column(gettext_lazy("Cơ quan quản lý"), lambda c: c.agency.name if c.agency else "—"),
        Column(gettext_lazy("Hiệu lực đến"), lambda c: _day(c.not_after)),
        Column(gettext_lazy("Trạng thái"), lambda c: c.get_status_display()),
    ),
    key=lambda c: c.serial,
    object_url=lambda c: reverse("certificates:detail", args=[c.serial]),
    items=lambda ids: Certificate.objects.filter(pk__in=ids).only(
        "pk", "serial", "common_name", "status"
    ),
    name_header=gettext_lazy("Tên chứng thư"),
    name=lambda c: c.common_name,
    facts=_certificate_facts,
)

DEVICES = RegisterSpec(
    register=Register.DEVICES,
    model=Device,
    slug="thiet-bi",
    list_url="devices:list",
    noun=gettext_lazy("thiết bị"),
    base=lambda user: Device.objects.visible_to(user),
    filterset=DeviceFilterSet,
    sample=lambda rows: (
        rows.select_related("agency", "holder").with_return_due().order_by("kind", "serial")
    ),
    columns=(
        Column(gettext_lazy("Loại"), lambda d: d.get_kind_display()),
        Column(gettext_lazy("Trạng thái"), lambda d: d.get_status_display()),
        Column(gettext_lazy("Cơ quan quản lý"), lambda d: d.agency.name if d.agency else "—"),
        Column(gettext_lazy("Thuê bao"), lambda d: d.holder.full_name if d.holder else "—"),
        Column(gettext_lazy("Hạn bàn giao lại"), lambda d: _day(d.return_due_on)),
    ),
    key=lambda d: d.serial,
    object_url=lambda d: reverse("devices:detail", args=[d.pk]),
    items=lambda ids: Device.objects.filter(pk__in=ids).select_related("agency"),
    name_header=gettext_lazy("Cơ quan quản lý"),
    name=lambda d: d.agency.name if d.agency else "—",
)

LETTERS = RegisterSpec(
    register=Register.LETTERS,
    model=CertRequest,
    slug="van-ban",
    list_url="requests_app:list",
    noun=gettext_lazy("văn bản"),
    base=lambda user: CertRequest.objects.visible_to(user),
    filterset=CertRequestFilterSet,
    sample=lambda rows: rows.select_related("agency").order_by("-created_at", "-pk"),
    columns=(
        Column(gettext_lazy("Mẫu"), lambda v: v.get_form_display()),
        Column(gettext_lazy("Trích yếu"), lambda v: v.subject or "—"),
        Column(gettext_lazy("Cơ quan đề nghị"), lambda v: v.agency.name),
        Column(gettext_lazy("Trạng thái"), lambda v: v.get_status_display()),
        Column(gettext_lazy("Ngày tạo"), lambda v: _day(v.created_at)),
    ),
    key=_letter_key,
    object_url=lambda v: reverse("requests_app:detail", args=[v.pk]),
    items=lambda ids: CertRequest.objects.filter(pk__in=ids).select_related("agency"),
    key_header=gettext_lazy("Văn bản"),
    name_header=gettext_lazy("Cơ quan đề nghị"),
    name=lambda v: v.agency.name,
)

REGISTERS: dict[str, RegisterSpec] = {
    spec.register: spec for spec in (CERTIFICATES, DEVICES, LETTERS)
}
BY_SLUG: dict[str, RegisterSpec] = {spec.slug: spec for spec in REGISTERS.values()}


def register_spec(register: str) -> RegisterSpec:
    spec = REGISTERS.get(register)
    if spec is None:
        raise DomainError(_("Sổ này không có thao tác hàng loạt."), code="register")
    return spec
