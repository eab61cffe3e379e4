from django.contrib.auth import get_user_model
from django.db import models

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
