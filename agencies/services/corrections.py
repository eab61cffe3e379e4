"""A person's record corrected at their own request (docs/privacy.md, "The data subject's
rights"): one field, decided on the locked person, checked as every save of a person is, and
audited (personal values only as keyed digests, docs/privacy-at-rest.md)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from agencies.models import Organization, Person
from agencies.services.retention import person_minimised_error
from portal.audit import audit_record
from portal.errors import DomainError
from portal.field_crypto import with_blind_indexes

# The fields a correction may set: the personal columns, and "unit" (the organisation the
# person works in, within their agency).
CORRECTABLE = (
    "full_name",
    "date_of_birth",
    "national_id",
    "id_issue_date",
    "id_issue_place",
    "position",
    "mobile",
    "official_email",
)
UNIT = "unit"


def person_correct(*, person: Person, field: str, value, by, reason: str = "") -> Person:
    """Set `field` of `person` to `value` (an Organization for "unit", within the person's
    agency). Refused, with nothing changed, when the record no longer takes it: a minimised
    person, a value another person holds (an ID number), a unit outside the agency."""
    if field not in (*CORRECTABLE, UNIT):
        raise ValueError(f"not a correctable field: {field}")
    with transaction.atomic():
        locked = Person.objects.select_for_update().select_related("organization").get(pk=person.pk)
        if locked.deidentified_at is not None:
            raise person_minimised_error(locked)
        if field == UNIT:
            agency = locked.organization.managing_agency or locked.organization
            if not isinstance(value, Organization) or not value.is_within(agency):
                raise DomainError(
                    _("Đơn vị mới phải thuộc %(agency)s.") % {"agency": agency},
                    code="unit_elsewhere",
                )
            before, after = {"organization": str(locked.organization)}, {"organization": str(value)}
            locked.organization = value
            update_fields = ["organization"]
        else:
            before = {field: str(getattr(locked, field))}
            setattr(locked, field, value)
            locked.normalize()
            after = {field: str(getattr(locked, field))}
            update_fields = with_blind_indexes(Person, [field])
        try:
            locked.full_clean(exclude=["user"])
        except ValidationError as exc:
            raise DomainError(" ".join(exc.messages), code="invalid") from exc
        locked.save(update_fields=update_fields)
        audit_record(
            actor=by, action="person.correct", obj=locked, before=before, after=after,
            reason=reason,
        )  # fmt: skip
    return locked
