from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone

from agencies.access import scope_for
from certificates.choices import CertStatus


class CertificateQuerySet(models.QuerySet):
    def visible_to(self, user):
        scope = scope_for(user)
        if not scope.is_authenticated:
            return self.none()
        if scope.sees_everything:
            return self
        q = scope.under("agency__path")
        if scope.person_id is not None:
            q |= Q(person_id=scope.person_id)
        return self.filter(q)

    def valid(self):
        return self.filter(status=CertStatus.VALID, not_after__gt=timezone.now())

    def expiring_within(self, days: int):
        now = timezone.now()
        return self.valid().filter(not_after__lte=now + timedelta(days=days))
