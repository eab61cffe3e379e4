from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q

from agencies.choices import Role
from agencies.querysets import NOTHING, ScopedQuerySet
from privacy.choices import CorrectionStatus, IncidentStatus
from privacy.permissions import may_use_privacy


class IncidentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Every incident for the data protection officer and administrators, none for
        anyone else (docs/privacy.md)."""
        return self if may_use_privacy(user) else self.none()

    def open(self):
        return self.exclude(status=IncidentStatus.CLOSED)


class AccessQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The whole log for the data protection officer and administrators; for anyone else,
        the accesses to their own data (docs/privacy.md §access log)."""
        if may_use_privacy(user):
            return self
        person = getattr(user, "person", None) if user.is_authenticated else None
        return self.about(person) if person is not None else self.none()

    def about(self, person):
        """Accesses that showed this person's data: by their record, or by their ID number's
        blind index (a letter's row names a person by ID before their record exists)."""
        match = Q(subjects__person=person)
        if person.national_id_index:
            match |= Q(subjects__id_index=person.national_id_index)
        return self.filter(pk__in=self.model.objects.filter(match).values("pk"))


def officers():
    """The active accounts holding the data protection officer's role: whom an incident and
    its deadline are told to."""
    return (
        get_user_model()
        .objects.filter(is_active=True, memberships__role=Role.DATA_PROTECTION_OFFICER)
        .distinct()
    )


class CorrectionRequestQuerySet(ScopedQuerySet):
    """A person's requests to correct their record: seen by the person themselves and by the
    clerks and heads of the agency they work for (the one scoped base, docs/architecture.md
    §5); neither a province's officers nor the CA handle them."""

    scope_path = "person__organization__path"
    scope_people = ("person",)

    def ca_sees(self):
        return NOTHING

    def province_sees(self):
        return NOTHING

    def open(self):
        return self.filter(status=CorrectionStatus.SUBMITTED)
