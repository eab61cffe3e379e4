"""Reads of the devices app (docs/architecture.md §2.3): the verbs pages, dashboards and tasks
share. Scoping (`visible_to`, `within`) comes from `agencies.querysets.ScopedQuerySet`: each
queryset names only the person field a subscriber sees it by."""

from datetime import date

from django.apps import apps  # this app's models, looked up: the models module imports this one
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from agencies.choices import Role
from agencies.querysets import ScopedQuerySet
from devices.choices import CredentialState, DeviceStatus

# A device in one of these is no longer out with its subscriber.
DEVICE_GONE = (DeviceStatus.RETURNED_TO_CA, DeviceStatus.LOST, DeviceStatus.BROKEN)


class DeviceQuerySet(ScopedQuerySet):
    scope_people = ("holder",)

    def _certificates(self):
        """The certificate registry, read through the reverse relation `Device.certificates`
        that the certificates app declares: devices sit below it (docs/architecture.md §1), never
        import it."""
        return self.model._meta.get_field("certificates").related_model.objects

    def in_stock(self):
        return self.filter(status=DeviceStatus.IN_CA_STOCK)

    def still_registered(self):
        """Devices registered to a subscriber (`holder`) and not back with the CA, lost nor
        broken: whoever holds one physically, the person is still its subscriber, which keeps
        their personal data (docs/retention.md)."""
        return self.filter(holder__isnull=False).exclude(status__in=DEVICE_GONE)

    def with_certificate(self):
        """Annotate the serial and name of the newest certificate issued on each device
        (`certificate_serial`, `certificate_name`; None for a device without one)."""
        newest = self._certificates().filter(device=OuterRef("pk")).order_by("-not_before", "-pk")
        return self.annotate(
            certificate_serial=Subquery(newest.values("serial")[:1]),
            certificate_name=Subquery(newest.values("common_name")[:1]),
        )

    def carrying_valid_certificate(self, *, excluding: str = ""):
        """Devices holding a certificate still valid (other than serial `excluding`): such a
        device stays with its subscriber when another certificate on it ends."""
        valid = self._certificates().valid().filter(device=OuterRef("pk"))
        if excluding:
            valid = valid.exclude(serial=excluding)
        return self.filter(Exists(valid))

    def valid_certificate_serials(self):
        """(device id, serial) of every certificate still valid on these devices: what
        `carrying_valid_certificate` asks of one device, for many at once."""
        return (
            self._certificates()
            .valid()
            .filter(device__in=self.values("pk"))
            .values_list("device_id", "serial")
        )

    def with_return_due(self, today: date | None = None):
        """Annotate `return_due_on` (the open obligation's deadline, or None) and
        `return_overdue` (whether that deadline has passed and the device is not handed back)."""
        ReturnObligation = apps.get_model("devices", "ReturnObligation")

        open_ = ReturnObligation.objects.open().filter(device=OuterRef("pk"))
        return self.annotate(
            return_due_on=Subquery(open_.values("due_on")[:1]),
            return_overdue=Exists(open_.overdue(today)),
        )

    def overdue_return(self, today: date | None = None):
        ReturnObligation = apps.get_model("devices", "ReturnObligation")

        return self.filter(
            Exists(ReturnObligation.objects.overdue(today).filter(device=OuterRef("pk")))
        )


class CustodyRecordQuerySet(QuerySet):
    """The custody chain is read with its device (it has no scope of its own)."""

    def held_since(self, cutoff):
        """Records still open, or closed at or after `cutoff`: a holder of one of them held
        the device within the period (docs/retention.md)."""
        return self.filter(Q(held_until__isnull=True) | Q(held_until__gte=cutoff))

    def moved_since(self, cutoff):
        """Records that began or ended at or after `cutoff`: the device changed hands within
        the period (docs/retention.md)."""
        return self.filter(Q(held_from__gte=cutoff) | Q(held_until__gte=cutoff))


class RemoteCredentialQuerySet(QuerySet):
    def issued_for(self, certificate):
        """The credential holding `certificate`'s key in the CA's HSM while it signs: none for
        a key on a token (docs/remote-signing.md)."""
        if certificate.device_id is None:
            return self.none()
        return self.filter(device_id=certificate.device_id, state=CredentialState.ISSUED)


class ReturnObligationQuerySet(ScopedQuerySet):
    scope_people = ("person",)

    def open(self):
        return self.filter(closed_at__isnull=True)

    def closed_since(self, cutoff):
        """Open, or closed at or after `cutoff` (docs/retention.md)."""
        return self.filter(Q(closed_at__isnull=True) | Q(closed_at__gte=cutoff))

    def overdue(self, today: date | None = None):
        """Open, not yet handed over in a Mẫu 08 minutes, and past the deadline: due on
        Friday means overdue from Saturday, i.e. on the next (6th) working day."""
        today = today or timezone.localdate()
        return self.filter(closed_at__isnull=True, handed_over_on__isnull=True, due_on__lt=today)


class _AgencySignedQuerySet(ScopedQuerySet):
    """Mẫu 07–09 go out when the agency head signs them (`sent_at`)."""

    def awaiting_head_of(self, user):
        """Not yet signed and sent, in an agency `user` heads (their "waiting for you")."""
        return self.filter(
            sent_at__isnull=True,
            agency__memberships__user=user,
            agency__memberships__role=Role.AGENCY_HEAD,
        ).distinct()


class HandoverNoticeQuerySet(_AgencySignedQuerySet):
    def sent(self):
        return self.filter(sent_at__isnull=False)


class ReturnMinutesQuerySet(_AgencySignedQuerySet):
    def awaiting_confirmation(self):
        return self.filter(confirmed_at__isnull=True)


class LossReportQuerySet(_AgencySignedQuerySet):
    """Mẫu 09 minutes are seen by the agency's staff, never through the subscriber."""


def overdue_return_count(user) -> int:
    """For the dashboards: devices the user can see whose return is overdue (one query)."""
    ReturnObligation = apps.get_model("devices", "ReturnObligation")

    return ReturnObligation.objects.visible_to(user).overdue().count()
