from django.db import models

from privacy.choices import IncidentStatus
from privacy.permissions import may_use_privacy


class IncidentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Every incident for the data protection officer and administrators, none for
        anyone else (docs/privacy.md)."""
        return self if may_use_privacy(user) else self.none()

    def open(self):
        return self.exclude(status=IncidentStatus.CLOSED)
