"""Writes on the organisation tree and people (docs/architecture.md §2.2)."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from agencies.choices import OrgKind
from agencies.models import DocumentCounter, Organization, Person
from agencies.services.retention import person_minimised_error
from agencies.validators import nfc
from portal.audit import audit_record
from portal.audit_batch import AuditEntry, audit_record_many
from portal.errors import DomainError
from portal.lib.bulk import update_rows

PERSON_FIELDS = [
    "full_name",
    "date_of_birth",
    "national_id",
    "id_issue_date",
    "id_issue_place",
    "position",
    "mobile",
    "official_email",
]


def person_elsewhere_error(person: Person) -> DomainError:
    """The person is registered under another agency. The message names them and only the
    last four digits of their ID number: it is kept as the row's outcome, the letter's
    processing error and an audit reason (docs/privacy-at-rest.md)."""
    return DomainError(
        _(
            "Cá nhân %(name)s (số định danh …%(tail)s) đang thuộc %(org)s; hãy đề nghị thay đổi "
            "thông tin thay vì cấp mới."
        )
        % {"name": person.full_name, "tail": person.national_id[-4:], "org": person.organization},
        code="person_elsewhere",
    )


def person_upsert(*, organization: Organization, data: dict, by) -> Person:
    """The person with this personal ID, created in `organization` or brought up to date.

    A person registered in another agency is not moved silently: moving agencies is a change
    of information that the receiving agency requests (docs/domain.md §5).
    """
    national_id = data["national_id"]
    agency = organization.managing_agency or organization
    with transaction.atomic():
        person = Person.objects.select_for_update().with_national_id(national_id).first()
        if person is not None and person.deidentified_at is not None:
            raise person_minimised_error(person)
        if person is not None and not person.organization.is_within(agency):
            raise person_elsewhere_error(person)
        before = None
        if person is None:
            person = Person(organization=organization)
        else:
            before = {name: str(getattr(person, name)) for name in PERSON_FIELDS}
        for name in PERSON_FIELDS:
            if data.get(name) not in (None, ""):
                setattr(
                    person, name, nfc(data[name]) if isinstance(data[name], str) else data[name]
                )
        person.full_clean(exclude=["user"])
        person.save()
        audit_record(
            actor=by,
            action="person.create" if before is None else "person.update",
            obj=person,
            before=before,
            after={name: str(getattr(person, name)) for name in PERSON_FIELDS},
        )
    return person


@dataclass
class PersonPlan:
    """What `person_upsert` would write for one item, decided but not written yet: a new
    person (`before` None) or the locked existing one with its fields set."""

    person: Person
    before: dict | None


def person_upsert_plan(
    *, items: Sequence[tuple[Organization, dict]]
) -> list[PersonPlan | Exception]:
    """`person_upsert`'s decisions for many items at once, writing nothing: for each
    (organization, data) a PersonPlan, or the error `person_upsert` would raise for it
    (DomainError, ValidationError). The existing people are locked in one query.

    Each ID number may appear once (ValueError otherwise: upsert those one by one). Their
    uniqueness in the database is left to the constraint when the plans are written."""
    national_ids = [data["national_id"] for _organization, data in items]
    if len(set(national_ids)) != len(national_ids):
        raise ValueError("person_upsert_plan: an ID number appears twice")
    existing = {
        person.national_id: person
        for person in Person.objects.select_for_update(of=("self",))
        .select_related("organization")
        .with_national_ids(national_ids)
        .order_by("national_id_index")  # one lock order for every batch: no deadlock between two
    }
    plans: list[PersonPlan | Exception] = []
    agencies: dict[int, Organization] = {}  # walking up a unit's parents costs queries
    for organization, data in items:
        if organization.pk not in agencies:
            agencies[organization.pk] = organization.managing_agency or organization
        agency = agencies[organization.pk]
        person = existing.get(data["national_id"])
        if person is not None and person.deidentified_at is not None:
            plans.append(person_minimised_error(person))
            continue
        if person is not None and not person.organization.is_within(agency):
            plans.append(person_elsewhere_error(person))
            continue
        before = None
        if person is None:
            person = Person(organization=organization)
        else:
            before = {name: str(getattr(person, name)) for name in PERSON_FIELDS}
        for name in PERSON_FIELDS:
            if data.get(name) not in (None, ""):
                setattr(
                    person, name, nfc(data[name]) if isinstance(data[name], str) else data[name]
                )
        try:
            # The organisation is a loaded row (checking it exists would cost a query a
            # person); the ID number's uniqueness is the constraint's, at the write.
            person.full_clean(
                exclude=["user", "organization"],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as exc:
            plans.append(exc)
            continue
        person.normalize()
        plans.append(PersonPlan(person=person, before=before))
    return plans


def person_upsert_apply(
    *, plans: Sequence[PersonPlan], by, audit_into: Sequence[list[AuditEntry]] | None = None
) -> list[Person]:
    """Write the plans of `person_upsert_plan`: the new people in one INSERT, the others in
    one UPDATE, each with the event `person_upsert` records (appended to its own list of
    `audit_into` for the caller to write, else recorded here). A person created meanwhile
    by someone else fails the whole write on the ID number's constraint."""
    people = [plan.person for plan in plans]
    with transaction.atomic():
        Person.objects.bulk_create([p for p in people if p.pk is None], batch_size=1000)
        update_rows(
            Person,
            PERSON_FIELDS,
            [
                (plan.person.pk, *(getattr(plan.person, name) for name in PERSON_FIELDS))
                for plan in plans
                if plan.before is not None
            ],
        )
        entries = [
            AuditEntry(
                "person.create" if plan.before is None else "person.update",
                plan.person,
                before=plan.before,
                after={name: str(getattr(plan.person, name)) for name in PERSON_FIELDS},
            )
            for plan in plans
        ]
        if audit_into is None:
            audit_record_many(actor=by, entries=entries)
        else:
            for into, entry in zip(audit_into, entries, strict=True):
                into.append(entry)
    return people


def person_move(
    *, person: Person, national_id: str, organization: Organization, position: str = "", by
) -> Person:
    """A person moves to `organization` (a unit of another agency, or the agency itself),
    with their new position: the change of information that the receiving agency filed
    (docs/domain.md §5.3.1). Decided on the locked person: the ID number must still be the
    one the agency named, and the person must not already work in the receiving agency."""
    agency = organization.managing_agency or organization
    with transaction.atomic():
        locked = Person.objects.select_for_update().select_related("organization").get(pk=person.pk)
        if locked.national_id != national_id:
            raise DomainError(
                _("Số định danh cá nhân không khớp với người giữ chứng thư."),
                code="person_mismatch",
            )
        if locked.organization.is_within(agency):
            raise DomainError(
                _("%(person)s đã thuộc %(agency)s.") % {"person": locked, "agency": agency},
                code="person_already_there",
            )
        before = {"organization": str(locked.organization), "position": locked.position}
        locked.organization = organization
        if position:
            locked.position = nfc(position)
        locked.save(update_fields=["organization", "position"])
        audit_record(
            actor=by,
            action="person.move",
            obj=locked,
            before=before,
            after={"organization": str(organization), "position": locked.position},
        )
    person.organization = locked.organization
    person.position = locked.position
    return person


def organization_find(*, agency: Organization, data: dict) -> Organization | None:
    """The organisation of a Mẫu 02 row already in the tree: the agency itself or a unit of
    it, matched by budget code or name; None when it is not there yet. Reads only."""
    budget_code = data.get("budget_code") or ""
    subtree = Organization.objects.active().within(agency.path)
    match = None
    if budget_code:
        match = Organization.objects.filter(budget_code=budget_code).first()
        if match is not None and not match.is_within(agency):
            raise DomainError(
                _("Mã quan hệ ngân sách %(code)s thuộc %(org)s, không thuộc cơ quan đề nghị.")
                % {"code": budget_code, "org": match},
                code="org_elsewhere",
            )
    if match is None:
        match = subtree.filter(name__iexact=nfc(data["organization_name"])).first()
    return match


def organization_find_or_create(*, agency: Organization, data: dict, by) -> Organization:
    """The organisation of a Mẫu 02 row (`organization_find`); a body not yet in the tree is
    added under the agency as a unit."""
    match = organization_find(agency=agency, data=data)
    if match is not None:
        return match
    budget_code = data.get("budget_code") or ""
    with transaction.atomic():
        org = Organization(
            kind=OrgKind.UNIT,
            parent=agency,
            name=nfc(data["organization_name"]),
            address=nfc(data.get("address") or ""),
            tax_code=data.get("tax_code") or "",
            budget_code=budget_code,
            official_email=data.get("email") or "",
        )
        org.full_clean()
        org.save()
        audit_record(actor=by, action="organization.create", obj=org, after={"name": org.name})
    return org


def document_number_next(
    *,
    organization: Organization,
    series: str,
    year: int,
    pattern: str = "{n}/{series}-{org}",
    blank_org: str = "CQ",
    start: Callable[[], int] | None = None,
) -> str:
    """The next number of a series of documents of `organization` in `year`, formatted.

    One counter row per (organization, series, year), locked with `select_for_update` and
    bumped in the caller's transaction: concurrent issuance waits for the lock and draws the
    next number, never the same one; a rolled-back document gives its number back.

    `pattern` receives n (the number), series and org (the organisation's short name, or
    `blank_org` when it has none): devices' "1/BBGN-STC", letters' "1/STC-CKS" with
    `pattern="{n}/{org}-{series}"`. `start`, called only when the year's counter does not exist
    yet, gives the numbers already used before counters existed (0 when omitted).
    """
    with transaction.atomic():
        lookup = {"organization": organization, "series": series, "year": year}
        counter = DocumentCounter.objects.select_for_update().filter(**lookup).first()
        if counter is None:
            # The organisation row serialises the counter's creation (the constraint backs it).
            Organization.objects.select_for_update().filter(pk=organization.pk).first()
            counter, _created = DocumentCounter.objects.select_for_update().get_or_create(
                **lookup, defaults={"last": start() if start is not None else 0}
            )
        counter.last += 1
        counter.save(update_fields=["last"])
    return pattern.format(n=counter.last, series=series, org=organization.short_name or blank_org)
