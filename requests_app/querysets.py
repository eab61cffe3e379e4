from django.db import models
from django.db.models import Q
from django.utils import timezone

from agencies.access import scope_for
from agencies.choices import Role
from requests_app.choices import CA_FORMS, PROVINCE_PROCESSED_FORMS, Status


class CertRequestQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Clerks and heads: their agency's letters; provincial officers: letters their
        province has received (never an agency's unsent drafts); CA operators: letters
        forwarded to the CA; subscribers: none."""
        scope = scope_for(user)
        if not scope.is_authenticated:
            return self.none()
        if scope.is_admin:
            return self
        q = scope.under("agency__path", agencies_only=True)
        if scope.province_ids:
            q |= Q(agency__province_id__in=scope.province_ids, issued_on__isnull=False)
        if scope.is_ca:
            q |= Q(forwarded_at__isnull=False, form__in=CA_FORMS)
        return self.filter(q)

    def province_inbox(self, user):
        """Letters waiting for the user's provincial office, earliest deadline first."""
        scope = scope_for(user)
        waiting = Q(status=Status.PROVINCE_REVIEW) | Q(
            status=Status.IN_PROCESS, form__in=PROVINCE_PROCESSED_FORMS, forwarded_at__isnull=True
        )
        return (
            self.visible_to(user)
            .filter(agency__province_id__in=scope.province_ids)
            .filter(waiting)
            .order_by("due_on", "pk")
        )

    def ca_queue(self, user):
        """Letters forwarded to the CA and not finished, earliest deadline first."""
        if not scope_for(user).has_role(Role.CA_OPERATOR):
            return self.none()
        return (
            self.visible_to(user)
            .filter(
                form__in=CA_FORMS,
                forwarded_at__isnull=False,
                status__in=[Status.FORWARDED, Status.IN_PROCESS],
            )
            .order_by("due_on", "pk")
        )

    def overdue(self):
        return self.filter(due_on__lt=timezone.localdate()).exclude(
            status__in=[Status.DONE, Status.REFUSED, Status.CANCELLED, Status.DRAFT]
        )


class RequestRowQuerySet(models.QuerySet):
    def visible_to(self, user):
        from requests_app.models import CertRequest

        return self.filter(cert_request__in=CertRequest.objects.visible_to(user))

    def open(self):
        return self.filter(is_open=True)
