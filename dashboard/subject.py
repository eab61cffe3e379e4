"""What the portal holds about one person, for that person (Law 91/2025/QH15, the data
subject's right to know and to a copy; docs/privacy.md, "The data subject's rights").

The roof reads every app below it (docs/architecture.md §1), so the collection lives here.
Which fields are shown is the inventory's (`privacy.inventory`): every field declared for a
record type, read from the records about the person — their person record, the letters' rows
naming them (by the Person key, and by the blind index of their ID number for rows never
linked to a person), the letters whose contact they are, their certificates, the devices in
their custody and the Mẫu 07/09 papers naming them, their account, their notifications and
their own correction requests, and the access log's record of who saw their data in full.
Each group carries the inventory's purpose, legal basis and
retention of its fields. A blind index (a keyed digest "never displayed") is left out: it
says nothing to the person and is not their data's value.

Reads only: pages, the JSON and the PDF all draw from `subject_data(person)`.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.models import Person
from certificates.models import Certificate
from devices.models import Device, HandoverItem, LossReport
from portal.models import Notification
from privacy.choices import DataCategory, LegalBasis
from privacy.inventory import BLIND_INDEX, SELF, PersonalField, by_model, field_label
from privacy.models import Access, CorrectionRequest
from requests_app.models import CertRequest, RequestRow

# The most records of one kind listed (a person has a handful; a cap keeps a page bounded).
MAX_RECORDS = 500
FORMAT = "cong-chu-ky-so/du-lieu-ca-nhan"
VERSION = 1


@dataclass(frozen=True)
class Value:
    name: str  # the model field's name: the JSON's stable key
    label: str
    value: object  # as Python has it: str, date, datetime, bytes, None

    @property
    def text(self) -> str:
        """As the page and the PDF show it: dates dd/mm/yyyy, a DER certificate by size."""
        return display(self.value)


@dataclass(frozen=True)
class Record:
    key: int | str
    title: str
    context: list[Value]  # what the record is (a letter's number, a serial): no inventory
    values: list[Value]  # the declared personal fields


@dataclass(frozen=True)
class Basis:
    """The inventory's words for a group of fields: purpose, legal basis, retention."""

    fields: str
    category: str
    purpose: str
    basis: str
    retention: str


@dataclass
class Group:
    key: str
    title: str
    model: str
    records: list[Record] = field(default_factory=list)
    declared: list[PersonalField] = field(default_factory=list)
    truncated: bool = False

    @property
    def bases(self) -> list[Basis]:
        """One line per distinct purpose, basis and retention among the group's fields."""
        categories, bases = dict(DataCategory.choices), dict(LegalBasis.choices)
        seen: dict[tuple, list[str]] = {}
        for entry in self.declared:
            key = (
                str(categories[entry.category]),
                str(entry.purpose),
                str(bases[entry.basis]),
                entry.retention.plain,
            )
            seen.setdefault(key, []).append(label_of(self.model, entry.field))
        return [Basis(", ".join(names), *key) for key, names in seen.items()]

    @property
    def purposes(self) -> list[tuple[str, str, str]]:
        """(fields, purpose, legal basis), one per distinct purpose and basis: how a page
        prints them without repeating the retention."""
        seen: dict[tuple, list[str]] = {}
        for basis in self.bases:
            seen.setdefault((basis.purpose, basis.basis), []).append(basis.fields)
        return [(", ".join(fields), *key) for key, fields in seen.items()]

    @property
    def retentions(self) -> list[str]:
        return list(dict.fromkeys(basis.retention for basis in self.bases))


@dataclass
class SubjectData:
    person: Person
    generated_at: datetime
    groups: list[Group]

    @property
    def count(self) -> int:
        return sum(len(group.records) for group in self.groups)


def display(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Có") if value else _("Không")
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%H:%M %d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bytes | memoryview):
        return _("Chứng thư số (DER, %(n)d byte): có trong tệp JSON") % {"n": len(bytes(value))}
    return str(value)


def jsonable(value):
    """ISO 8601 dates and times, base64 for bytes, text for the rest."""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)


_MODELS = {
    "agencies.Person": Person,
    "auth.User": get_user_model(),
    "requests_app.RequestRow": RequestRow,
    "requests_app.CertRequest": CertRequest,
    "certificates.Certificate": Certificate,
    "devices.Device": Device,
    "devices.HandoverItem": HandoverItem,
    "devices.LossReport": LossReport,
    "portal.Notification": Notification,
    "privacy.CorrectionRequest": CorrectionRequest,
    "privacy.Access": Access,
}


def label_of(model: str, name: str) -> str:
    text = str(_MODELS[model]._meta.get_field(name).verbose_name)
    return text[:1].upper() + text[1:]


def _declared(model: str) -> list[PersonalField]:
    """The fields of `model` the person is shown: their own data and what the inventory lets
    them see (SELF); never a blind index."""
    return [
        entry
        for entry in by_model().get(model, [])
        if entry.purpose is not BLIND_INDEX
        and (SELF in entry.unmasked or model != "privacy.Access")
    ]


def _value(model: str, obj, name: str) -> Value:
    return Value(name, label_of(model, name), getattr(obj, name))


def _ctx(label, value, name: str) -> Value:
    return Value(name, str(label), value)


# --- the groups: (key, title, model, records of the person, what each record is) ------------


def _person(person):
    return [person]


def _person_context(person):
    return str(person), [
        _ctx(_("Cơ quan, đơn vị công tác"), person.organization.name, "organization"),
        _ctx(_("Ghi nhận lúc"), person.created_at, "created_at"),
    ]


def _rows(person):
    naming = Q(person=person)
    if person.national_id_index:
        naming |= Q(national_id_index=person.national_id_index)
    return (
        RequestRow.objects.filter(naming)
        .select_related("cert_request__agency")
        .order_by("-cert_request__created_at", "position")
    )


def _letter_context(letter) -> list[Value]:
    return [
        _ctx(_("Văn bản"), letter.get_form_display(), "form"),
        _ctx(_("Số văn bản"), letter.number, "number"),
        _ctx(_("Ngày ban hành"), letter.issued_on, "issued_on"),
        _ctx(_("Cơ quan đề nghị"), letter.agency.name, "agency"),
        _ctx(_("Trạng thái"), letter.get_status_display(), "status"),
    ]


def _row_context(row):
    letter = row.cert_request
    title = _("%(letter)s, dòng %(n)d") % {"letter": letter, "n": row.position}
    return title, [
        *_letter_context(letter),
        _ctx(_("Kết quả"), row.get_outcome_display(), "outcome"),
    ]


def _contacts(person):
    if not person.national_id_index:
        return CertRequest.objects.none()
    return (
        CertRequest.objects.filter(contact_national_id_index=person.national_id_index)
        .select_related("agency")
        .order_by("-created_at")
    )


def _contact_context(letter):
    return str(letter), _letter_context(letter)


def _certificates(person):
    return person.certificates.select_related("agency").order_by("-not_before", "-pk")


def _certificate_context(certificate):
    return certificate.serial, [
        _ctx(_("Số hiệu"), certificate.serial, "serial"),
        _ctx(_("Trạng thái"), certificate.get_status_display(), "status"),
        _ctx(_("Hiệu lực từ"), certificate.not_before, "not_before"),
        _ctx(_("Hiệu lực đến"), certificate.not_after, "not_after"),
        _ctx(_("Cơ quan quản lý"), certificate.agency.name, "agency"),
    ]


def _devices(person):
    return person.devices.select_related("agency").order_by("kind", "serial")


def _device_context(device):
    return str(device), [
        _ctx(_("Loại"), device.get_kind_display(), "kind"),
        _ctx(_("Số hiệu"), device.serial, "serial"),
        _ctx(_("Trạng thái"), device.get_status_display(), "status"),
        _ctx(_("Cơ quan quản lý"), device.agency.name if device.agency_id else "", "agency"),
    ]


def _handovers(person):
    return (
        HandoverItem.objects.filter(person=person)
        .select_related("notice__agency")
        .order_by("-notice__issued_on", "-pk")
    )


def _handover_context(item):
    notice = item.notice
    return str(notice), [
        _ctx(_("Cơ quan"), notice.agency.name, "agency"),
        _ctx(_("Ngày thông báo"), notice.issued_on, "issued_on"),
        _ctx(_("Ngày bàn giao"), notice.handed_on, "handed_on"),
    ]


def _losses(person):
    return LossReport.objects.filter(person=person).select_related("agency").order_by("-held_at")


def _loss_context(report):
    return _("Biên bản Mẫu 09 số %(n)s") % {"n": report.number}, [
        _ctx(_("Cơ quan"), report.agency.name if report.agency_id else "", "agency"),
        _ctx(_("Lập lúc"), report.held_at, "held_at"),
    ]


def _account(person):
    return [person.user] if person.user_id else []


def _account_context(user):
    return user.get_username(), [
        _ctx(_("Ngày tạo tài khoản"), user.date_joined, "date_joined"),
        _ctx(_("Đăng nhập gần nhất"), user.last_login, "last_login"),
    ]


def _notifications(person):
    if not person.user_id:
        return Notification.objects.none()
    return Notification.objects.filter(user_id=person.user_id).order_by("-created_at", "-pk")


def _notification_context(notification):
    return display(notification.created_at), [
        _ctx(_("Thời điểm"), notification.created_at, "created_at"),
    ]


def _corrections(person):
    return person.correction_requests.order_by("-created_at", "-pk")


def _correction_context(correction):
    return str(correction), [
        _ctx(_("Thông tin cần đính chính"), correction.get_field_display(), "field"),
        _ctx(_("Trạng thái"), correction.get_status_display(), "status"),
        _ctx(_("Gửi lúc"), correction.created_at, "created_at"),
        _ctx(_("Xử lý lúc"), correction.decided_at, "decided_at"),
    ]


def _accesses(person):
    return Access.objects.about(person).select_related("actor__person").order_by("-at", "-pk")


def _actor_name(access) -> str:
    """Who looked, by name (their person record's, else their account's), not username."""
    actor = access.actor
    if actor is None:
        return ""
    person = getattr(actor, "person", None)
    return person.full_name if person is not None else actor.get_full_name()


def _access_context(access):
    return display(access.at), [
        _ctx(_("Thời điểm"), access.at, "at"),
        _ctx(_("Người xem"), _actor_name(access), "actor"),
        _ctx(_("Cách truy cập"), access.get_channel_display(), "channel"),
        _ctx(_("Trường dữ liệu"), ", ".join(field_label(key) for key in access.fields), "fields"),
    ]


Spec = tuple[str, object, str, Callable, Callable]
GROUPS: list[Spec] = [
    ("person", gettext_lazy("Hồ sơ cá nhân"), "agencies.Person", _person, _person_context),
    ("letter_rows", gettext_lazy("Các dòng văn bản đề nghị nêu tên bạn"),
     "requests_app.RequestRow", _rows, _row_context),
    ("letter_contacts", gettext_lazy("Văn bản đề nghị có bạn là người liên hệ"),
     "requests_app.CertRequest", _contacts, _contact_context),
    ("certificates", gettext_lazy("Chứng thư số"), "certificates.Certificate", _certificates,
     _certificate_context),
    ("devices", gettext_lazy("Thiết bị lưu khóa bạn đang giữ"), "devices.Device", _devices,
     _device_context),
    ("handovers", gettext_lazy("Thông báo bàn giao thiết bị (Mẫu 07) nêu tên bạn"),
     "devices.HandoverItem", _handovers, _handover_context),
    ("loss_reports", gettext_lazy("Biên bản mất thiết bị (Mẫu 09) nêu tên bạn"),
     "devices.LossReport", _losses, _loss_context),
    ("account", gettext_lazy("Tài khoản"), "auth.User", _account, _account_context),
    ("notifications", gettext_lazy("Thông báo gửi bạn"), "portal.Notification", _notifications,
     _notification_context),
    ("corrections", gettext_lazy("Yêu cầu đính chính của bạn"), "privacy.CorrectionRequest",
     _corrections, _correction_context),
    ("accesses", gettext_lazy("Những lần dữ liệu của bạn được xem, xuất đầy đủ"),
     "privacy.Access", _accesses, _access_context),
]  # fmt: skip


def subject_data(person: Person) -> SubjectData:
    """Everything declared about `person`, group by group (a few queries per group)."""
    groups = []
    for key, title, model, records_of, context_of in GROUPS:
        declared = _declared(model)
        found = list(records_of(person)[: MAX_RECORDS + 1])
        group = Group(key, str(title), model, declared=declared)
        group.truncated = len(found) > MAX_RECORDS
        for obj in found[:MAX_RECORDS]:
            title_text, context = context_of(obj)
            values = [_value(model, obj, entry.field) for entry in declared]
            group.records.append(Record(obj.pk, str(title_text), context, values))
        groups.append(group)
    return SubjectData(person=person, generated_at=timezone.now(), groups=groups)


def inventory_keys(data: SubjectData) -> list[str]:
    """The inventory's keys of every field a copy holds (what the access log records)."""
    return sorted({entry.key for group in data.groups if group.records for entry in group.declared})


def subject_json(data: SubjectData) -> dict:
    """The machine-readable copy: stable English keys, ISO 8601 dates, the inventory's
    purpose, legal basis (its code and its words) and retention for every field listed."""
    categories, bases = dict(DataCategory.choices), dict(LegalBasis.choices)
    inventory = {}
    for group in data.groups:
        for entry in group.declared:
            inventory[entry.key] = {
                "model": entry.model,
                "field": entry.field,
                "label": label_of(entry.model, entry.field),
                "category": entry.category,
                "category_text": str(categories[entry.category]),
                "purpose": str(entry.purpose),
                "legal_basis": entry.basis,
                "legal_basis_text": str(bases[entry.basis]),
                "retention": entry.retention.plain,
            }
    person = data.person
    return {
        "format": FORMAT,
        "version": VERSION,
        "generated_at": jsonable(data.generated_at),
        "subject": {
            "person_id": person.pk,
            "full_name": person.full_name,
            "national_id": person.national_id,
        },
        "inventory": inventory,
        "groups": [
            {
                "key": group.key,
                "title": group.title,
                "model": group.model,
                "truncated": group.truncated,
                "records": [
                    {
                        "id": record.key,
                        "title": record.title,
                        "context": {v.name: jsonable(v.value) for v in record.context},
                        "fields": {v.name: jsonable(v.value) for v in record.values},
                    }
                    for record in group.records
                ],
            }
            for group in data.groups
        ],
    }
