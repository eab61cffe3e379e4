from django.db import models
from django.db.models import Q

from agencies.access import scope_for


class DeviceQuerySet(models.QuerySet):
    def visible_to(self, user):
        scope = scope_for(user)
        if not scope.is_authenticated:
            return self.none()
        if scope.sees_everything:
            return self
        q = scope.under("agency__path")
        if scope.person_id is not None:
            q |= Q(holder_id=scope.person_id)
        return self.filter(q)
