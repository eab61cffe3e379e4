from django.apps import apps
from django.db import models
from django.db.models import Exists, OuterRef, Q

from agencies.access import scope_for


class OrganizationQuerySet(models.QuerySet):
    def active(self):
        return self.filter(valid_to__isnull=True, superseded_by__isnull=True)

    def visible_to(self, user):
        scope = scope_for(user)
        if not scope.is_authenticated:
            return self.none()
        if scope.sees_everything:
            return self
        q = scope.under("path")
        if scope.person_id is not None:
            q |= Q(people__pk=scope.person_id)
        return self.filter(q).distinct() if scope.person_id else self.filter(q)


class PersonQuerySet(models.QuerySet):
    def visible_to(self, user):
        scope = scope_for(user)
        if not scope.is_authenticated:
            return self.none()
        if scope.is_admin:
            return self
        q = scope.under("organization__path")
        if scope.person_id is not None:
            q |= Q(pk=scope.person_id)
        if scope.is_ca:
            # The CA sees the people whose certificates it holds; looked up by name so the
            # organisation layer does not import the certificate registry.
            certificate = apps.get_model("certificates", "Certificate")
            q |= Q(Exists(certificate.objects.filter(person=OuterRef("pk"))))
        return self.filter(q)


class MembershipQuerySet(models.QuerySet):
    def visible_to(self, user):
        scope = scope_for(user)
        if not scope.is_authenticated:
            return self.none()
        if scope.is_admin:
            return self
        return self.filter(user=user)


def find_unit(agency, name: str):
    """The organisation named `name` (case-insensitive, NFC) in `agency`'s subtree, or None."""
    from agencies.models import Organization
    from agencies.validators import nfc

    return (
        Organization.objects.active()
        .filter(path__startswith=agency.path, name__iexact=nfc(name))
        .order_by("path")
        .first()
    )
