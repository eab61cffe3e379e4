"""Reads of the devices app (DESIGN §2.3): scoping (`visible_to`) and the verbs pages,
dashboards and tasks share."""

from datetime import date

from django.apps import apps
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from agencies.access import scope_for


def _agency_scope(queryset, user, *, person_field: str | None = None):
    """Rows of agencies under the user's organisations (clerk, head: their agency; provincial
    officer: their province); the CA and administrators see everything; a subscriber sees the
    rows about them (`person_field`)."""
    scope = scope_for(user)
    if not scope.is_authenticated:
        return queryset.none()
    if scope.sees_everything:
        return queryset
    q = scope.under("agency__path")
    if person_field and scope.person_id is not None:
        q |= Q(**{person_field: scope.person_id})
    return queryset.filter(q)


def _certificates():
    # Looked up by name: devices sit below certificates (DESIGN §1) and never import them.
    return apps.get_model("certificates", "Certificate").objects


class DeviceQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _agency_scope(self, user, person_field="holder_id")

    def in_stock(self):
        from devices.choices import DeviceStatus

        return self.filter(status=DeviceStatus.IN_CA_STOCK)

    def with_certificate(self):
        """Annotate the serial and name of the newest certificate issued on each device
        (`certificate_serial`, `certificate_name`; None for a device without one)."""
        newest = _certificates().filter(device=OuterRef("pk")).order_by("-not_before", "-pk")
        return self.annotate(
            certificate_serial=Subquery(newest.values("serial")[:1]),
            certificate_name=Subquery(newest.values("common_name")[:1]),
        )

    def carrying_valid_certificate(self, *, excluding: str = ""):
        """Devices holding a certificate still valid (other than serial `excluding`): such a
        device stays with its subscriber when another certificate on it ends."""
        valid = _certificates().valid().filter(device=OuterRef("pk"))
        if excluding:
            valid = valid.exclude(serial=excluding)
        return self.filter(Exists(valid))

    def with_return_due(self, today: date | None = None):
        """Annotate `return_due_on` (the open obligation's deadline, or None) and
        `return_overdue` (whether that deadline has passed and the device is not handed back)."""
        from devices.models import ReturnObligation

        open_ = ReturnObligation.objects.open().filter(device=OuterRef("pk"))
        return self.annotate(
            return_due_on=Subquery(open_.values("due_on")[:1]),
            return_overdue=Exists(open_.overdue(today)),
        )

    def overdue_return(self, today: date | None = None):
        from devices.models import ReturnObligation

        return self.filter(
            Exists(ReturnObligation.objects.overdue(today).filter(device=OuterRef("pk")))
        )


class ReturnObligationQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _agency_scope(self, user, person_field="person_id")

    def open(self):
        return self.filter(closed_at__isnull=True)

    def overdue(self, today: date | None = None):
        """Open, not yet handed over in a Mẫu 08 minutes, and past the deadline: due on
        Friday means overdue from Saturday, i.e. on the next (6th) working day."""
        today = today or timezone.localdate()
        return self.filter(closed_at__isnull=True, handed_over_on__isnull=True, due_on__lt=today)


class HandoverNoticeQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _agency_scope(self, user)

    def sent(self):
        return self.filter(sent_at__isnull=False)


class ReturnMinutesQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _agency_scope(self, user)

    def awaiting_confirmation(self):
        return self.filter(confirmed_at__isnull=True)


class LossReportQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _agency_scope(self, user)


def overdue_return_count(user) -> int:
    """For the dashboards: devices the user can see whose return is overdue (one query)."""
    from devices.models import ReturnObligation

    return ReturnObligation.objects.visible_to(user).overdue().count()
